//! The length of a WebM file written live, without a Duration: the end of the last audio block
//! of the last Cluster, found by searching the file's tail backwards.

use std::io::{Read, Seek};

use super::super::budget::Work;
use super::super::cursor::Bytes;
use super::super::source::Source;
use super::super::{ProbeError, corrupt};
use super::AudioTrack;
use super::ebml::{
    BLOCK, BLOCK_DURATION, BLOCK_GROUP, CLUSTER, DISCARD_PADDING, SIMPLE_BLOCK, TIMECODE,
    children_of, header, uint, vint_raw,
};

/// How much of the tail is searched for the last Cluster.
const TAIL: u64 = 1024 * 1024;

/// Clusters (a Cluster id followed by a Timecode) without audio tried before giving up: in a
/// real file the last Cluster has audio, or one of the few before it when video ran longer.
const MAX_CLUSTERS: usize = 256;

/// Bytes searched for the Cluster id between two counts of the work.
const SCAN_CHUNK: usize = 4096;

/// The end of the last audio block, in ns: for files written live, which have no Duration.
///
/// The tail is searched backwards for the Cluster id. Each candidate's walk stops where the
/// Cluster found after it starts: an unknown-size Cluster ends there, and what lies beyond was
/// searched already. So every byte of the tail is walked at most once, however many ids (real,
/// or hidden in other elements) it holds.
pub(super) fn last_block_end<R: Read + Seek>(
    src: &mut Source<R>,
    track: &AudioTrack,
    scale: u64,
) -> Result<u64, ProbeError> {
    let len = src.size().min(TAIL);
    let tail_start = src.size() - len;
    let tail = src.read_at(tail_start, usize::try_from(len).unwrap_or(0))?;
    let id = CLUSTER.to_be_bytes();
    let mut stop = tail.len();
    let mut without_audio = 0;
    for at in (0..tail.len().saturating_sub(3)).rev() {
        if at % SCAN_CHUNK == 0 {
            src.work().scanned(SCAN_CHUNK)?;
        }
        if tail[at..at + 4] != id {
            continue;
        }
        src.tick()?;
        match cluster_end_ns(&tail[at..], stop - at, track, scale, src.work())? {
            Cluster::NotOne => {}
            Cluster::Audio(end) => return Ok(end),
            Cluster::Silent => {
                stop = at;
                without_audio += 1;
                if without_audio == MAX_CLUSTERS {
                    return Err(corrupt(format!(
                        "no Duration, and no audio block in the last {MAX_CLUSTERS} Clusters"
                    )));
                }
            }
        }
    }
    Err(corrupt("no Duration and no complete Cluster in the last 1 MiB"))
}

/// What a candidate Cluster id turned out to start.
enum Cluster {
    /// No Cluster: a stray id, or one not followed by a Timecode.
    NotOne,
    /// A Cluster without a block of the audio track.
    Silent,
    /// A Cluster whose audio ends at this many ns.
    Audio(u64),
}

/// The Cluster at the start of `buf`, walked no further than `stop` bytes.
fn cluster_end_ns(
    buf: &[u8],
    stop: usize,
    track: &AudioTrack,
    scale: u64,
    work: &mut Work,
) -> Result<Cluster, ProbeError> {
    let mut b = Bytes::new(buf);
    let Some((CLUSTER, size)) = header(&mut b) else { return Ok(Cluster::NotOne) };
    let body_start = b.pos();
    let end = match size {
        Some(size) if body_start as u64 + size > buf.len() as u64 => {
            return Err(corrupt(format!(
                "truncated: the last Cluster declares {size} bytes, {} are left",
                buf.len() - body_start
            )));
        }
        Some(size) => body_start + size as usize,
        None => buf.len(),
    };
    let Some((TIMECODE, Some(len))) = header(&mut b) else { return Ok(Cluster::NotOne) };
    let Some(cluster_tc) = b.take(len as usize).and_then(uint) else {
        return Ok(Cluster::NotOne);
    };
    let end = end.min(stop);
    let mut last_end = None;
    while b.pos() < end {
        work.tick()?;
        let at = b.pos();
        let Some((id, size)) = header(&mut b) else {
            return Err(corrupt(format!(
                "truncated: element header cut off {at} bytes into the last Cluster"
            )));
        };
        let size =
            size.ok_or_else(|| corrupt("element of unknown size inside the last Cluster"))?;
        let value = b.take(usize::try_from(size).unwrap_or(usize::MAX)).ok_or_else(|| {
            corrupt(format!(
                "truncated: element 0x{id:X} declares {size} bytes, {} are left in the file",
                buf.len() - b.pos()
            ))
        })?;
        let block = match id {
            SIMPLE_BLOCK => block_timing(value, None, track),
            BLOCK_GROUP => {
                work.scanned(value.len())?;
                group_timing(value, track, scale)
            }
            _ => None,
        };
        if let Some(t) = block {
            let start =
                cluster_tc.saturating_add_signed(i64::from(t.relative)).saturating_mul(scale);
            let ns = start.saturating_add(t.duration_ns).saturating_sub(t.discard_ns);
            last_end = Some(last_end.unwrap_or(0u64).max(ns));
        }
    }
    Ok(last_end.map_or(Cluster::Silent, Cluster::Audio))
}

/// Where a block sits and how long it plays.
struct BlockTiming {
    /// Ticks from the Cluster's timecode.
    relative: i16,
    /// How long the block plays.
    duration_ns: u64,
    /// Padding (ns) the decoder drops from the block's end: the encoder's last-frame padding.
    discard_ns: u64,
}

/// A BlockGroup's Block with its BlockDuration and DiscardPadding.
fn group_timing(body: &[u8], track: &AudioTrack, scale: u64) -> Option<BlockTiming> {
    let mut block = None;
    let mut duration = None;
    let mut discard_ns = 0;
    for (id, value) in children_of(body) {
        match id {
            BLOCK => block = Some(value),
            BLOCK_DURATION => duration = uint(value).map(|d| d.saturating_mul(scale)),
            DISCARD_PADDING => discard_ns = uint(value).filter(|&d| d < 1 << 40).unwrap_or(0),
            _ => {}
        }
    }
    let mut timing = block_timing(block?, duration, track)?;
    timing.discard_ns = discard_ns;
    Some(timing)
}

/// A block's timing, if it belongs to the audio track; `duration_ns` from its BlockGroup, else
/// the track's default, else (Opus) its TOC byte.
fn block_timing(block: &[u8], duration_ns: Option<u64>, track: &AudioTrack) -> Option<BlockTiming> {
    let mut b = Bytes::new(block);
    let number = vint_raw(&mut b)??;
    if number != track.number {
        return None;
    }
    let relative = b.u16_be()? as i16;
    let flags = b.u8()?;
    // Only an unlaced Opus packet has its TOC byte here; lacing hides it behind lace sizes.
    let packet = if flags & 0x06 == 0 { b.take(2.min(b.remaining())) } else { None };
    let duration_ns = duration_ns
        .or_else(|| (track.default_duration_ns > 0).then_some(track.default_duration_ns))
        .or_else(|| (track.codec == "opus").then(|| packet.and_then(opus_packet_ns)).flatten())
        .unwrap_or(0);
    Some(BlockTiming { relative, duration_ns, discard_ns: 0 })
}

/// The length of an Opus packet in ns, from its TOC byte and, for code 3, the frame count byte
/// after it (RFC 6716 §3.1).
fn opus_packet_ns(packet: &[u8]) -> Option<u64> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // Frame length in tenths of a millisecond.
    let frame: u64 = match config {
        0..=11 => [100, 200, 400, 600][usize::from(config % 4)],
        12..=15 => [100, 200][usize::from(config % 2)],
        _ => [25, 50, 100, 200][usize::from(config % 4)],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(*packet.get(1)? & 0x3F),
    };
    Some(frame * frames * 100_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_toc_lengths() {
        assert_eq!(opus_packet_ns(&[0xFC]), Some(20_000_000), "CELT 20 ms");
        assert_eq!(opus_packet_ns(&[0x08 | 0x01]), Some(40_000_000), "SILK 20 ms, two frames");
        assert_eq!(opus_packet_ns(&[0x80]), Some(2_500_000), "CELT 2.5 ms");
        assert_eq!(opus_packet_ns(&[0xFB, 0x03]), Some(60_000_000), "CELT 20 ms, three frames");
        assert_eq!(opus_packet_ns(&[0xFB]), None);
    }
}
