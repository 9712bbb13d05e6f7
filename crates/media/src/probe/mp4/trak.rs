//! One `trak`: its handler (sound, video…), media clock and length (`mdhd`, `stts`), edit list
//! (`elst`) and where its last chunk lies (`stco`/`co64`), read without loading the tables.

use std::io::{Read, Seek};

use super::super::cursor::Bytes;
use super::super::source::Source;
use super::super::{ProbeError, corrupt};
use super::boxes::{BoxHeader, child, children, find_path};
use super::entry::{SampleEntry, parse_stsd};

/// `stts` entries read per request.
const STTS_BATCH: u64 = 8 * 1024;

/// What a track says about itself.
#[derive(Clone, Debug)]
pub(super) struct Track {
    pub(super) id: u32,
    pub(super) handler: [u8; 4],
    pub(super) timescale: u32,
    /// Media duration in `timescale` ticks: the `stts` sum, or `mdhd`'s when `stts` is empty.
    pub(super) media_ticks: u64,
    /// Ticks the edit list shows, in the movie's timescale, and where in the media it starts.
    pub(super) edit: Option<Edit>,
    pub(super) entry: Option<SampleEntry>,
    pub(super) last_chunk: Option<u64>,
}

/// The edit list reduced to what a single audio track uses: total shown duration (movie
/// timescale) and the media time where showing starts (the encoder's priming samples).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Edit {
    pub(super) duration: u64,
    pub(super) media_start: u64,
}

pub(super) fn parse_trak<R: Read + Seek>(
    src: &mut Source<R>,
    trak: BoxHeader,
) -> Result<Track, ProbeError> {
    let kids = children(src, trak.body, trak.end)?;
    let id = match child(&kids, b"tkhd") {
        Some(tkhd) => parse_tkhd(&read_body(src, tkhd, 32)?),
        None => 0,
    };
    let edit = match find_path(src, &kids, &[b"edts", b"elst"])? {
        Some(elst) => parse_elst(&read_body(src, elst, 64 * 1024)?),
        None => None,
    };
    let mdia = child(&kids, b"mdia").ok_or_else(|| corrupt("track without an mdia box"))?;
    let mdia_kids = children(src, mdia.body, mdia.end)?;
    let handler = match child(&mdia_kids, b"hdlr") {
        Some(h) => parse_hdlr(&read_body(src, h, 32)?),
        None => *b"????",
    };
    let mdhd = child(&mdia_kids, b"mdhd").ok_or_else(|| corrupt("track without an mdhd box"))?;
    let (timescale, mdhd_ticks) = parse_mdhd(&read_body(src, mdhd, 64)?)?;
    let mut track = Track {
        id,
        handler,
        timescale,
        media_ticks: mdhd_ticks,
        edit,
        entry: None,
        last_chunk: None,
    };
    let Some(stbl) = find_path(src, &mdia_kids, &[b"minf", b"stbl"])? else { return Ok(track) };
    let tables = children(src, stbl.body, stbl.end)?;
    if let Some(stsd) = child(&tables, b"stsd") {
        track.entry = parse_stsd(src, stsd)?;
    }
    if let Some(stts) = child(&tables, b"stts") {
        let ticks = stts_ticks(src, stts)?;
        if ticks > 0 {
            track.media_ticks = ticks;
        }
    }
    track.last_chunk = match (child(&tables, b"stco"), child(&tables, b"co64")) {
        (Some(stco), _) => last_offset(src, stco, 4)?,
        (None, Some(co64)) => last_offset(src, co64, 8)?,
        (None, None) => None,
    };
    Ok(track)
}

/// A box's payload, at most `cap` bytes of it.
pub(super) fn read_body<R: Read + Seek>(
    src: &mut Source<R>,
    b: BoxHeader,
    cap: usize,
) -> Result<Vec<u8>, ProbeError> {
    let len = usize::try_from(b.body_len()).unwrap_or(usize::MAX).min(cap);
    src.read_at(b.body, len)
}

/// The track id from `tkhd` (after 32- or 64-bit creation and modification times).
fn parse_tkhd(body: &[u8]) -> u32 {
    let mut b = Bytes::new(body);
    let version = b.u8().unwrap_or(0);
    b.skip(3);
    b.skip(if version == 1 { 16 } else { 8 });
    b.u32_be().unwrap_or(0)
}

fn parse_hdlr(body: &[u8]) -> [u8; 4] {
    let mut b = Bytes::new(body);
    b.skip(8);
    b.fourcc().unwrap_or(*b"????")
}

/// Timescale and duration from `mdhd` (version 0: 32-bit times, version 1: 64-bit).
fn parse_mdhd(body: &[u8]) -> Result<(u32, u64), ProbeError> {
    let mut b = Bytes::new(body);
    let short = || corrupt("mdhd box is cut short");
    let version = b.u8().ok_or_else(short)?;
    b.skip(3).ok_or_else(short)?;
    let (timescale, duration) = if version == 1 {
        b.skip(16).ok_or_else(short)?;
        (b.u32_be().ok_or_else(short)?, b.u64_be().ok_or_else(short)?)
    } else {
        b.skip(8).ok_or_else(short)?;
        let timescale = b.u32_be().ok_or_else(short)?;
        let duration = b.u32_be().ok_or_else(short)?;
        // All ones: unknown (fragmented files).
        (timescale, if duration == u32::MAX { 0 } else { u64::from(duration) })
    };
    if timescale == 0 {
        return Err(corrupt("mdhd gives a timescale of 0"));
    }
    Ok((timescale, if duration == u64::MAX { 0 } else { duration }))
}

/// `mvhd`'s timescale (the unit of edit-list durations) and duration.
pub(super) fn parse_mvhd(body: &[u8]) -> Result<(u32, u64), ProbeError> {
    parse_mdhd(body).map_err(|_| corrupt("mvhd box is cut short or has a timescale of 0"))
}

/// Sums the non-empty edits (an empty edit, media time −1, only delays the track) and keeps the
/// first one's media start. Returns `None` for an edit list that does not parse.
fn parse_elst(body: &[u8]) -> Option<Edit> {
    let mut b = Bytes::new(body);
    let version = b.u8()?;
    b.skip(3)?;
    let count = b.u32_be()?;
    let mut edit: Option<Edit> = None;
    for _ in 0..count.min(1024) {
        let (duration, media_time) = if version == 1 {
            (b.u64_be()?, b.u64_be()? as i64)
        } else {
            (u64::from(b.u32_be()?), i64::from(b.u32_be()? as i32))
        };
        b.skip(4)?;
        if media_time < 0 {
            continue;
        }
        let e = edit.get_or_insert(Edit { duration: 0, media_start: media_time.unsigned_abs() });
        e.duration = e.duration.saturating_add(duration);
    }
    edit
}

/// The sum of sample count × delta over `stts`, read in batches.
fn stts_ticks<R: Read + Seek>(src: &mut Source<R>, stts: BoxHeader) -> Result<u64, ProbeError> {
    let head = read_body(src, stts, 8)?;
    let declared = Bytes::new(head.get(4..).unwrap_or(&[])).u32_be().unwrap_or(0);
    let room = stts.body_len().saturating_sub(8) / 8;
    if u64::from(declared) > room {
        return Err(corrupt(format!("stts declares {declared} entries, its box holds {room}")));
    }
    let mut total = 0u64;
    let mut done = 0u64;
    while done < u64::from(declared) {
        let n = (u64::from(declared) - done).min(STTS_BATCH);
        let buf = src.read_at(stts.body + 8 + done * 8, (n * 8) as usize)?;
        src.work().scanned(buf.len())?;
        for pair in buf.chunks_exact(8) {
            let count = u64::from(u32::from_be_bytes([pair[0], pair[1], pair[2], pair[3]]));
            let delta = u64::from(u32::from_be_bytes([pair[4], pair[5], pair[6], pair[7]]));
            total = total.saturating_add(count * delta);
        }
        done += n;
    }
    Ok(total)
}

/// The last entry of a chunk offset table (`stco`: 4-byte entries, `co64`: 8-byte).
fn last_offset<R: Read + Seek>(
    src: &mut Source<R>,
    table: BoxHeader,
    width: u64,
) -> Result<Option<u64>, ProbeError> {
    let head = read_body(src, table, 8)?;
    let count = u64::from(Bytes::new(head.get(4..).unwrap_or(&[])).u32_be().unwrap_or(0));
    if count == 0 {
        return Ok(None);
    }
    if 8 + count * width > table.body_len() {
        return Err(corrupt(format!(
            "chunk offset table declares {count} entries, its box is {} bytes",
            table.body_len()
        )));
    }
    let at = table.body + 8 + (count - 1) * width;
    let raw = src.read_at(at, width as usize)?;
    let mut b = Bytes::new(&raw);
    Ok(if width == 8 { b.u64_be() } else { b.u32_be().map(u64::from) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_list_skips_empty_edits() {
        let mut body = vec![0, 0, 0, 0, 0, 0, 0, 2];
        body.extend_from_slice(&[0, 0, 0, 100, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 0, 0]);
        body.extend_from_slice(&[0, 0, 0x27, 0x10, 0, 0, 4, 0, 0, 1, 0, 0]);
        assert_eq!(parse_elst(&body), Some(Edit { duration: 10_000, media_start: 1024 }));
    }

    #[test]
    fn mdhd_versions() {
        let mut v0 = vec![0u8; 12];
        v0.extend_from_slice(&44_100u32.to_be_bytes());
        v0.extend_from_slice(&441_000u32.to_be_bytes());
        assert_eq!(parse_mdhd(&v0).expect("v0"), (44_100, 441_000));
        let mut v1 = vec![1u8, 0, 0, 0];
        v1.extend_from_slice(&[0; 16]);
        v1.extend_from_slice(&48_000u32.to_be_bytes());
        v1.extend_from_slice(&(1u64 << 33).to_be_bytes());
        assert_eq!(parse_mdhd(&v1).expect("v1"), (48_000, 1 << 33));
        assert!(parse_mdhd(&[0; 10]).is_err());
    }
}
