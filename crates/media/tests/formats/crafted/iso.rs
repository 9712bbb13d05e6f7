//! Crafted MP4: runs of the smallest boxes, deep nesting, a fragment per few dozen bytes, more
//! tracks than we look at, tables filling their boxes, and 64-bit sizes.

use super::Maker;

pub(super) const CASES: &[Maker] = &[
    ("mp4", "smallest boxes", mp4_tiny_boxes),
    ("mp4", "deeply nested wave boxes", mp4_deep_wave),
    ("mp4", "smallest fragments", mp4_many_moofs),
    ("mp4", "video tracks", mp4_many_traks),
    ("mp4", "tables filling their boxes", mp4_full_tables),
    ("mp4", "64-bit size of 2^64-1", mp4_huge_largesize),
];

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = u32::try_from(8 + body.len()).expect("a 32-bit box").to_be_bytes().to_vec();
    b.extend(kind);
    b.extend(body);
    b
}

/// A full box: version 0 and no flags before `body`.
fn full(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = vec![0; 4];
    b.extend(body);
    bx(kind, &b)
}

fn ftyp() -> Vec<u8> {
    bx(b"ftyp", b"M4A \0\0\0\0M4A isom")
}

fn mvhd() -> Vec<u8> {
    let mut b = vec![0; 8];
    b.extend(1000u32.to_be_bytes());
    b.extend([0; 84]);
    full(b"mvhd", &b)
}

/// A track with handler `handler`, an AAC sample entry (44.1 kHz mono) ending in `config`, and
/// `tables` after `stsd` in its `stbl`.
fn trak(handler: &[u8; 4], config: &[u8], tables: &[u8]) -> Vec<u8> {
    let mut tkhd = vec![0; 8];
    tkhd.extend(1u32.to_be_bytes());
    tkhd.extend([0; 68]);
    let mut mdhd = vec![0; 8];
    mdhd.extend(44_100u32.to_be_bytes());
    mdhd.extend([0; 8]);
    let mut hdlr = vec![0; 4];
    hdlr.extend(handler);
    hdlr.extend([0; 13]);
    let mut entry = vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 16, 0, 0, 0, 0];
    entry.extend((44_100u32 << 16).to_be_bytes());
    entry.extend(config);
    let mut stsd = 1u32.to_be_bytes().to_vec();
    stsd.extend(bx(b"mp4a", &entry));
    let mut stbl = full(b"stsd", &stsd);
    stbl.extend(tables);
    let minf = bx(b"minf", &bx(b"stbl", &stbl));
    let mut mdia = full(b"mdhd", &mdhd);
    mdia.extend(full(b"hdlr", &hdlr));
    mdia.extend(minf);
    let mut trak = full(b"tkhd", &tkhd);
    trak.extend(bx(b"mdia", &mdia));
    bx(b"trak", &trak)
}

/// `ftyp` and `moov` holding `mvhd` and `inner`.
fn movie(inner: &[u8]) -> Vec<u8> {
    let mut moov = mvhd();
    moov.extend(inner);
    let mut b = ftyp();
    b.extend(bx(b"moov", &moov));
    b
}

fn mp4_tiny_boxes(size: usize) -> Vec<u8> {
    let mut b = ftyp();
    while b.len() + 8 <= size {
        b.extend(bx(b"free", &[]));
    }
    b
}

/// The sample entry's configuration is `wave` boxes nested as deep as the file allows.
fn mp4_deep_wave(size: usize) -> Vec<u8> {
    let depth = size.saturating_sub(1024) / 8;
    let mut nested = Vec::with_capacity(depth * 8);
    for level in 0..depth {
        nested.extend(u32::try_from(8 * (depth - level)).expect("a 32-bit box").to_be_bytes());
        nested.extend(b"wave");
    }
    movie(&trak(b"soun", &nested, &[]))
}

/// A `moov` with `mvex`, then a 48-byte `moof` (one sample of the sound track) to the end.
fn mp4_many_moofs(size: usize) -> Vec<u8> {
    let mut trex = 1u32.to_be_bytes().to_vec();
    trex.extend(1u32.to_be_bytes());
    trex.extend(1024u32.to_be_bytes());
    trex.extend([0; 8]);
    let mut inner = trak(b"soun", &[], &[]);
    inner.extend(bx(b"mvex", &full(b"trex", &trex)));
    let mut b = movie(&inner);
    let mut traf = full(b"tfhd", &1u32.to_be_bytes());
    traf.extend(full(b"trun", &1u32.to_be_bytes()));
    let moof = bx(b"moof", &bx(b"traf", &traf));
    while b.len() + moof.len() <= size {
        b.extend(&moof);
    }
    b
}

/// Video tracks, each with a small `stts`, filling the `moov`.
fn mp4_many_traks(size: usize) -> Vec<u8> {
    let mut stts = 64u32.to_be_bytes().to_vec();
    stts.extend([0, 0, 0, 1, 0, 0, 0, 1].repeat(64));
    let one = trak(b"vide", &[], &full(b"stts", &stts));
    let mut inner = Vec::with_capacity(size);
    while inner.len() + one.len() + 200 <= size {
        inner.extend(&one);
    }
    movie(&inner)
}

/// A sound track whose `stts` (one tick a sample) and `stco` fill the file.
fn mp4_full_tables(size: usize) -> Vec<u8> {
    let entries = size.saturating_sub(1024) / 12;
    let mut stts = u32::try_from(entries).expect("entries").to_be_bytes().to_vec();
    stts.extend([0, 0, 0, 1, 0, 0, 0, 1].repeat(entries));
    let mut stco = u32::try_from(entries / 2).expect("entries").to_be_bytes().to_vec();
    stco.extend([0, 0, 0, 8].repeat(entries / 2));
    let mut tables = full(b"stts", &stts);
    tables.extend(full(b"stco", &stco));
    movie(&trak(b"soun", &[], &tables))
}

/// A box whose 64-bit size is the largest there is.
fn mp4_huge_largesize(size: usize) -> Vec<u8> {
    let mut b = ftyp();
    b.extend(1u32.to_be_bytes());
    b.extend(b"mdat");
    b.extend(u64::MAX.to_be_bytes());
    b.resize(size, 0);
    b
}
