//! Crafted WAV, MP3, Ogg and FLAC: chunk, frame, page and metadata-block runs, and the tails
//! that the backward searches (last Ogg page, last FLAC frame) and the MP3 resync work through.

use super::Maker;

pub(super) const CASES: &[Maker] = &[
    ("wav", "empty chunks", wav_empty_chunks),
    ("wav", "fmt chunks, no data", wav_repeated_fmt),
    ("wav", "chunk declaring 4 GiB", wav_huge_chunk),
    ("mp3", "incompatible stream run", mp3_incompatible_run),
    ("mp3", "smallest VBR frames", mp3_tiny_vbr),
    ("mp3", "frame runs split by junk", mp3_gapped_runs),
    ("mp3", "false syncs every 4 bytes", mp3_false_syncs),
    ("mp3", "stacked empty ID3v2 tags", mp3_stacked_id3),
    ("mp3", "ID3v2 declaring 256 MiB", mp3_huge_id3),
    ("ogg", "empty pages", ogg_empty_pages),
    ("ogg", "largest pages", ogg_largest_pages),
    ("ogg", "headers claiming to the last page", ogg_overlapping_claims),
    ("ogg", "beginning-of-stream pages", ogg_many_bos),
    ("flac", "far frame candidates", flac_far_candidates),
    ("flac", "empty metadata blocks", flac_empty_blocks),
    ("flac", "metadata block declaring 16 MiB", flac_huge_block),
];

fn riff_wave() -> Vec<u8> {
    let mut b = b"RIFF".to_vec();
    b.extend(u32::MAX.to_le_bytes());
    b.extend(b"WAVE");
    b
}

/// PCM, 8 kHz, mono, 16 bits.
fn fmt_chunk() -> Vec<u8> {
    let mut b = b"fmt ".to_vec();
    b.extend(16u32.to_le_bytes());
    b.extend([1, 0, 1, 0]);
    b.extend(8000u32.to_le_bytes());
    b.extend(16_000u32.to_le_bytes());
    b.extend([2, 0, 16, 0]);
    b
}

fn wav_empty_chunks(size: usize) -> Vec<u8> {
    let mut b = riff_wave();
    while b.len() + 8 <= size {
        b.extend(b"junk\0\0\0\0");
    }
    b
}

fn wav_repeated_fmt(size: usize) -> Vec<u8> {
    let mut b = riff_wave();
    while b.len() + 24 <= size {
        b.extend(fmt_chunk());
    }
    b
}

fn wav_huge_chunk(size: usize) -> Vec<u8> {
    let mut b = riff_wave();
    b.extend(fmt_chunk());
    b.extend(b"LIST");
    b.extend(0xFFFF_FFFEu32.to_le_bytes());
    b.resize(size, 0);
    b
}

/// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames.
const MPEG1: [u8; 4] = [0xFF, 0xFB, 0x90, 0x64];
/// MPEG-2 Layer III, 24 kHz, mono: 8 kbit/s gives the smallest frame there is (24 bytes),
/// 16 kbit/s one of 48.
const MPEG2_8K: [u8; 4] = [0xFF, 0xF3, 0x14, 0xC4];
const MPEG2_16K: [u8; 4] = [0xFF, 0xF3, 0x24, 0xC4];

fn frame(out: &mut Vec<u8>, header: [u8; 4], len: usize) {
    out.extend(header);
    out.resize(out.len() + len - 4, 0);
}

/// Four frames of one stream, then the smallest frames of another to the end: without a Xing
/// header and with the bitrate seeming to vary, every frame of the run is walked into and
/// needs a resynchronisation.
fn mp3_incompatible_run(size: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(size);
    for _ in 0..4 {
        frame(&mut b, MPEG1, 417);
    }
    while b.len() + 24 <= size {
        frame(&mut b, MPEG2_8K, 24);
    }
    b
}

/// The smallest frames, bitrate alternating, no Xing header: the length is in every frame.
fn mp3_tiny_vbr(size: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(size);
    while b.len() + 72 <= size {
        frame(&mut b, MPEG2_8K, 24);
        frame(&mut b, MPEG2_16K, 48);
    }
    b
}

/// Runs of four small frames (bitrate varying, so every frame is walked), each followed by a
/// junk byte: one resynchronisation a run.
fn mp3_gapped_runs(size: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(size);
    while b.len() + 145 <= size {
        for _ in 0..2 {
            frame(&mut b, MPEG2_8K, 24);
            frame(&mut b, MPEG2_16K, 48);
        }
        b.push(0);
    }
    b
}

/// Real frames, then valid frame headers every 4 bytes, none followed by another frame.
fn mp3_false_syncs(size: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(size);
    for _ in 0..4 {
        frame(&mut b, MPEG1, 417);
    }
    while b.len() + 4 <= size {
        b.extend(MPEG1);
    }
    b
}

/// Empty ID3v2 tags stacked to the end, frames never reached.
fn mp3_stacked_id3(size: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(size);
    while b.len() + 10 <= size {
        b.extend(b"ID3\x04\0\0\0\0\0\0");
    }
    b
}

/// An ID3v2 tag declaring the largest syncsafe size, then frames.
fn mp3_huge_id3(size: usize) -> Vec<u8> {
    let mut b = b"ID3\x04\0\0\x7f\x7f\x7f\x7f".to_vec();
    while b.len() + 417 <= size {
        frame(&mut b, MPEG1, 417);
    }
    b
}

/// Ogg's CRC-32 (polynomial 0x04C11DB7, MSB first, no reflection, zero initial value).
fn ogg_crc(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |crc, &b| {
        let mut c = crc ^ (u32::from(b) << 24);
        for _ in 0..8 {
            c = if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04C1_1DB7 } else { c << 1 };
        }
        c
    })
}

fn ogg_page(flags: u8, granule: u64, serial: u32, lacing: &[u8], body: &[u8]) -> Vec<u8> {
    let mut p = b"OggS\0".to_vec();
    p.push(flags);
    p.extend(granule.to_le_bytes());
    p.extend(serial.to_le_bytes());
    p.extend(0u32.to_le_bytes());
    p.extend([0; 4]);
    p.push(u8::try_from(lacing.len()).expect("at most 255 segments"));
    p.extend(lacing);
    p.extend(body);
    let crc = ogg_crc(&p);
    p[22..26].copy_from_slice(&crc.to_le_bytes());
    p
}

/// The beginning-of-stream page of a mono Opus stream (serial 1).
fn opus_head() -> Vec<u8> {
    let mut body = b"OpusHead\x01\x01\x38\x01".to_vec();
    body.extend(48_000u32.to_le_bytes());
    body.extend([0, 0, 0]);
    ogg_page(2, 0, 1, &[19], &body)
}

/// After the Opus header, whole empty pages of another stream to the end.
fn ogg_empty_pages(size: usize) -> Vec<u8> {
    let mut b = opus_head();
    let page = ogg_page(0, u64::MAX, 2, &[], &[]);
    while b.len() + page.len() <= size {
        b.extend(&page);
    }
    b
}

/// After the Opus header, the largest pages (255 segments of 255 bytes) of another stream.
fn ogg_largest_pages(size: usize) -> Vec<u8> {
    let mut b = opus_head();
    let page = ogg_page(0, u64::MAX, 2, &[255; 255], &[0; 255 * 255]);
    while b.len() + page.len() <= size {
        b.extend(&page);
    }
    b.resize(size, 0);
    b.extend(ogg_page(0, u64::MAX, 2, &[], &[]));
    b
}

/// Before a whole last page, the tail is packed with page headers that each claim to reach
/// exactly to it and fail their CRC: for each, a checksum over up to 64 KiB.
fn ogg_overlapping_claims(size: usize) -> Vec<u8> {
    let last = ogg_page(0, u64::MAX, 2, &[], &[]);
    let mut b = opus_head();
    let limit = size - last.len();
    let mut at = limit.saturating_sub(27 + 255 + 254 * 255 + 254).max(b.len());
    b.resize(limit, 0);
    while at + 27 + 255 <= limit {
        let body = limit - at - 27 - 255;
        let mut lacing = [0u8; 255];
        lacing[..body / 255].fill(255);
        lacing[body / 255] = u8::try_from(body % 255).expect("a remainder");
        let mut header = b"OggS\0\0".to_vec();
        header.extend([0; 8]);
        header.extend(1u32.to_le_bytes());
        header.extend(0u32.to_le_bytes());
        header.extend(0xDEAD_BEEFu32.to_le_bytes());
        header.push(255);
        header.extend(lacing);
        b[at..at + header.len()].copy_from_slice(&header);
        at += 300;
    }
    b.extend(last);
    b
}

/// Beginning-of-stream pages of a stream we do not read, each the largest, to the end.
fn ogg_many_bos(size: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(size);
    let mut body = b"fishead\0".to_vec();
    body.resize(255 * 255, 0);
    let mut serial = 10;
    while b.len() + 27 + 255 + body.len() <= size {
        b.extend(ogg_page(2, 0, serial, &[255; 255], &body));
        serial += 1;
    }
    b.resize(size, 0);
    b
}

/// FLAC's CRC-8 (x^8 + x^2 + x + 1).
fn flac_crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |crc, &b| {
        let mut c = crc ^ b;
        for _ in 0..8 {
            c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
        }
        c
    })
}

/// `fLaC` and a STREAMINFO block (44.1 kHz, mono, 16 bits, no sample count).
fn flac_head(max_frame: u32, last: bool) -> Vec<u8> {
    let mut b = b"fLaC".to_vec();
    b.extend([if last { 0x80 } else { 0 }, 0, 0, 34]);
    b.extend(4096u16.to_be_bytes());
    b.extend(4096u16.to_be_bytes());
    b.extend([0, 0, 0]);
    b.extend(&max_frame.to_be_bytes()[1..]);
    let packed: u64 = (44_100 << 44) | (15 << 36);
    b.extend(packed.to_be_bytes());
    b.extend([0; 16]);
    b
}

/// A frame header (block of 192 samples, frame 0) that passes its CRC-8.
fn flac_frame_header() -> Vec<u8> {
    let mut h = vec![0xFF, 0xF8, 0x10, 0x00, 0x00];
    h.push(flac_crc8(&h));
    h
}

/// STREAMINFO allows 16 MiB frames, so the last MiB is searched for the last frame; frame
/// headers that pass their CRC-8 sit at its start, each then checked by a CRC-16 over the rest.
fn flac_far_candidates(size: usize) -> Vec<u8> {
    let mut b = flac_head(0xFF_FFFF, true);
    b.extend(flac_frame_header());
    let tail_start = size.saturating_sub(1 << 20).max(b.len());
    b.resize(tail_start, 0);
    for _ in 0..80 {
        b.extend(flac_frame_header());
    }
    b.resize(size, 0);
    b
}

/// Metadata blocks of no length (padding, none marked last) to the end.
fn flac_empty_blocks(size: usize) -> Vec<u8> {
    let mut b = flac_head(0, false);
    while b.len() + 4 <= size {
        b.extend([1, 0, 0, 0]);
    }
    b
}

/// A metadata block declaring the largest length, 16 MiB.
fn flac_huge_block(size: usize) -> Vec<u8> {
    let mut b = flac_head(0, false);
    b.extend([0x81, 0xFF, 0xFF, 0xFF]);
    b.resize(size, 0);
    b
}
