//! Crafted WebM without a Duration (so the length is searched for in the tail): tiny audio-free
//! Clusters of known and unknown size, Clusters hidden in Void elements so that a walk from each
//! runs to the end, head elements, maximal and unknown sizes, nested BlockGroups.

use super::Maker;

pub(super) const CASES: &[Maker] = &[
    ("webm", "hidden unknown-size clusters", webm_hidden_clusters),
    ("webm", "hidden clusters sized to the end", webm_hidden_sized),
    ("webm", "tiny audio-free clusters", webm_tiny_clusters),
    ("webm", "live audio-free clusters", webm_live_clusters),
    ("webm", "void elements before clusters", webm_void_head),
    ("webm", "cluster declaring 2^56 bytes", webm_huge_cluster),
    ("webm", "info of unknown size", webm_unknown_info),
    ("webm", "nested block groups", webm_nested_groups),
];

const CLUSTER: [u8; 4] = [0x1F, 0x43, 0xB6, 0x75];
/// An eight-byte size with every value bit set: unknown.
const UNKNOWN: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
/// Timecode 0, then a SimpleBlock of track 2 (not the audio track).
const TIMECODE_AND_VIDEO_BLOCK: [u8; 9] = [0xE7, 0x81, 0x00, 0xA3, 0x84, 0x82, 0x00, 0x00, 0x80];

/// An element with an eight-byte size.
fn el(id: &[u8], body: &[u8]) -> Vec<u8> {
    let mut b = id.to_vec();
    b.extend(sized(body.len() as u64));
    b.extend(body);
    b
}

fn sized(len: u64) -> [u8; 8] {
    ((1u64 << 56) | len).to_be_bytes()
}

/// EBML header, Segment of unknown size, Info without Duration, Tracks with Opus as track 1;
/// `info` replaces the Info element when given.
fn head_with(info: Option<Vec<u8>>) -> Vec<u8> {
    let mut b = el(&[0x1A, 0x45, 0xDF, 0xA3], &el(&[0x42, 0x82], b"webm"));
    b.extend([0x18, 0x53, 0x80, 0x67]);
    b.extend(UNKNOWN);
    b.extend(info.unwrap_or_else(|| {
        el(&[0x15, 0x49, 0xA9, 0x66], &el(&[0x2A, 0xD7, 0xB1], &[0x0F, 0x42, 0x40]))
    }));
    let mut audio = el(&[0xB5], &48_000f64.to_be_bytes());
    audio.extend(el(&[0x9F], &[1]));
    let mut entry = el(&[0xD7], &[1]);
    entry.extend(el(&[0x83], &[2]));
    entry.extend(el(&[0x86], b"A_OPUS"));
    entry.extend(el(&[0xE1], &audio));
    b.extend(el(&[0x16, 0x54, 0xAE, 0x6B], &el(&[0xAE], &entry)));
    b
}

fn head() -> Vec<u8> {
    head_with(None)
}

/// Clusters of unknown size, each a timecode and a video block, each hidden from the one before
/// inside a 5-byte Void: a walk from any of them reads every element to the end.
fn webm_hidden_clusters(size: usize) -> Vec<u8> {
    let mut b = head();
    b.extend(CLUSTER);
    b.push(0xFF);
    b.extend(TIMECODE_AND_VIDEO_BLOCK);
    while b.len() + 16 <= size {
        b.extend([0xEC, 0x85]);
        b.extend(CLUSTER);
        b.push(0xFF);
        b.extend(TIMECODE_AND_VIDEO_BLOCK);
    }
    b
}

/// As [`webm_hidden_clusters`], but each Cluster declares the size that reaches the file's end.
fn webm_hidden_sized(size: usize) -> Vec<u8> {
    let mut b = head();
    let units = size.saturating_sub(b.len() + 21) / 23;
    let total = b.len() + 21 + units * 23;
    let cluster = |b: &mut Vec<u8>| {
        b.extend(CLUSTER);
        let end = b.len() + 8;
        b.extend(sized((total - end) as u64));
        b.extend(TIMECODE_AND_VIDEO_BLOCK);
    };
    cluster(&mut b);
    for _ in 0..units {
        b.extend([0xEC, 0x8C]);
        cluster(&mut b);
    }
    b
}

fn webm_tiny_clusters(size: usize) -> Vec<u8> {
    let mut b = head();
    while b.len() + 14 <= size {
        b.extend(CLUSTER);
        b.push(0x89);
        b.extend(TIMECODE_AND_VIDEO_BLOCK);
    }
    b
}

fn webm_live_clusters(size: usize) -> Vec<u8> {
    let mut b = head();
    while b.len() + 14 <= size {
        b.extend(CLUSTER);
        b.push(0xFF);
        b.extend(TIMECODE_AND_VIDEO_BLOCK);
    }
    b
}

/// Empty Void elements after Tracks, no Cluster.
fn webm_void_head(size: usize) -> Vec<u8> {
    let mut b = head();
    while b.len() + 2 <= size {
        b.extend([0xEC, 0x80]);
    }
    b
}

fn webm_huge_cluster(size: usize) -> Vec<u8> {
    let mut b = head();
    b.extend(CLUSTER);
    b.extend([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]);
    b.extend(TIMECODE_AND_VIDEO_BLOCK);
    b.resize(size, 0);
    b
}

fn webm_unknown_info(size: usize) -> Vec<u8> {
    let mut info = vec![0x15, 0x49, 0xA9, 0x66];
    info.extend(UNKNOWN);
    let mut b = head_with(Some(info));
    b.resize(size, 0);
    b
}

/// One Cluster of unknown size whose single BlockGroup nests BlockGroups to the end.
fn webm_nested_groups(size: usize) -> Vec<u8> {
    let mut b = head();
    b.extend(CLUSTER);
    b.push(0xFF);
    b.extend([0xE7, 0x81, 0x00]);
    let depth = size.saturating_sub(b.len()) / 9;
    for level in 0..depth {
        b.push(0xA0);
        b.extend(sized((9 * (depth - level - 1)) as u64));
    }
    b
}
