//! Fragmented MP4, as browsers' MediaRecorder and live packagers write it: the `moov` holds no
//! samples, so a track's length is the sum of its `trun` sample durations over every `moof`.

use std::io::{Read, Seek};

use super::super::budget::Work;
use super::super::cursor::Bytes;
use super::super::source::Source;
use super::super::{ProbeError, corrupt};
use super::boxes::BoxHeader;
use super::trak::read_body;

/// The most of one `moof` we read: an audio fragment's tables are a few KiB.
const MAX_MOOF: usize = 1024 * 1024;

/// `trex` defaults for a track: the sample duration a `tfhd` or `trun` may leave out.
pub(super) fn trex_default_duration(mvex_body: &[u8], track_id: u32) -> u32 {
    boxes_in(mvex_body)
        .filter(|(kind, _)| kind == b"trex")
        .find_map(|(_, body)| {
            let mut b = Bytes::new(body);
            b.skip(4)?;
            (b.u32_be()? == track_id).then_some(())?;
            b.skip(4)?;
            b.u32_be()
        })
        .unwrap_or(0)
}

/// Media ticks of track `track_id` over all `moof` boxes among the top-level boxes `top`.
pub(super) fn fragmented_ticks<R: Read + Seek>(
    src: &mut Source<R>,
    top: &[BoxHeader],
    track_id: u32,
    default_duration: u32,
) -> Result<u64, ProbeError> {
    let mut total = 0u64;
    for moof in top.iter().filter(|b| &b.kind == b"moof") {
        src.tick()?;
        let body = read_body(src, *moof, MAX_MOOF)?;
        for (_, traf) in boxes_in(&body).filter(|(kind, _)| kind == b"traf") {
            let ticks = traf_ticks(traf, track_id, default_duration, src.work())?;
            total = total.saturating_add(ticks);
        }
    }
    Ok(total)
}

/// The ticks one `traf` adds to the track, 0 if it is another track's.
fn traf_ticks(
    traf: &[u8],
    track_id: u32,
    trex_duration: u32,
    work: &mut Work,
) -> Result<u64, ProbeError> {
    let mut default_duration = trex_duration;
    let mut total = 0u64;
    for (kind, body) in boxes_in(traf) {
        work.tick()?;
        match &kind {
            b"tfhd" => match parse_tfhd(body) {
                Some((id, _)) if id != track_id => return Ok(0),
                Some((_, Some(d))) => default_duration = d,
                Some(_) => {}
                None => return Err(corrupt("tfhd box is cut short")),
            },
            b"trun" => {
                work.scanned(body.len())?;
                let ticks = trun_ticks(body, default_duration)
                    .ok_or_else(|| corrupt("trun box is cut short"))?;
                total = total.saturating_add(ticks);
            }
            _ => {}
        }
    }
    Ok(total)
}

/// Track id and default sample duration from a `tfhd`.
fn parse_tfhd(body: &[u8]) -> Option<(u32, Option<u32>)> {
    let mut b = Bytes::new(body);
    let flags = b.u32_be()? & 0x00FF_FFFF;
    let track_id = b.u32_be()?;
    if flags & 0x01 != 0 {
        b.skip(8)?;
    }
    if flags & 0x02 != 0 {
        b.skip(4)?;
    }
    let duration = if flags & 0x08 != 0 { Some(b.u32_be()?) } else { None };
    Some((track_id, duration))
}

/// The summed sample durations of a `trun`: per sample where present, else the default.
fn trun_ticks(body: &[u8], default_duration: u32) -> Option<u64> {
    let mut b = Bytes::new(body);
    let flags = b.u32_be()? & 0x00FF_FFFF;
    let count = b.u32_be()?;
    if flags & 0x01 != 0 {
        b.skip(4)?;
    }
    if flags & 0x04 != 0 {
        b.skip(4)?;
    }
    if flags & 0x100 == 0 {
        return Some(u64::from(count) * u64::from(default_duration));
    }
    let per_sample = 4 * [0x100, 0x200, 0x400, 0x800].iter().filter(|&&f| flags & f != 0).count();
    if (count as usize).saturating_mul(per_sample) > b.remaining() {
        return None;
    }
    let mut total = 0u64;
    for _ in 0..count {
        let entry = b.take(per_sample)?;
        total += u64::from(u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]));
    }
    Some(total)
}

/// The (type, body) boxes packed in `buf`; stops at the first that does not fit.
fn boxes_in(buf: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut b = Bytes::new(buf);
    std::iter::from_fn(move || {
        let size = usize::try_from(b.u32_be()?).ok()?;
        let kind = b.fourcc()?;
        let body = b.take(size.checked_sub(8)?)?;
        Some((kind, body))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trun_with_and_without_durations() {
        let mut with = vec![0, 0, 0x03, 0x01, 0, 0, 0, 2, 0, 0, 0, 0];
        with.extend_from_slice(&[0, 0, 4, 0, 0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0, 12]);
        assert_eq!(trun_ticks(&with, 0), Some(1024 + 512));
        let without = [0, 0, 0x02, 0x00, 0, 0, 0, 3];
        assert_eq!(trun_ticks(&without, 1024), Some(3072));
        let short = [0, 0, 0x01, 0x00, 0, 0, 0, 9, 0, 0, 4, 0];
        assert_eq!(trun_ticks(&short, 0), None);
    }
}
