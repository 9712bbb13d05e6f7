//! ISO-BMFF (MP4, M4A, QuickTime MOV): the first sound track's sample entry, media clock and
//! edit list, wherever the `moov` box is (before the media, or after it past a 64-bit `mdat`).
//!
//! Duration: the track's presentation length, as ffprobe reports the audio stream: the edit
//! list's duration where there is one (it leaves out the AAC encoder's 1024 priming samples and
//! the last frame's padding), else the `stts` sum. With a video track too we report the audio
//! track's length. `sample_count` is the same length in samples when the media clock counts
//! samples (it does for every encoder we know). Truncation: any top-level box running past the
//! end, a missing `moov`, or audio chunks placed past the end is `Corrupt`. A file with no sound
//! track is `Unsupported`.

mod boxes;
mod entry;
mod fragments;
mod trak;

use std::io::{Read, Seek};

use super::cursor::fourcc_str;
use super::source::Source;
use super::{
    Format, MediaFacts, ProbeError, average_bitrate, check_duration, corrupt, rescale, ticks_to_ms,
    unsupported,
};
use boxes::{BoxHeader, child, children};
use trak::{Track, parse_mvhd, parse_trak, read_body};

/// Tracks examined for a sound track.
const MAX_TRACKS: usize = 64;

pub(crate) fn probe<R: Read + Seek>(
    src: &mut Source<R>,
    format: Format,
) -> Result<MediaFacts, ProbeError> {
    let top = children(src, 0, src.size())?;
    let moov = child(&top, b"moov").ok_or_else(|| {
        let has_media = child(&top, b"mdat").is_some();
        corrupt(if has_media {
            "truncated: no moov box (media without its index)"
        } else {
            "no moov box"
        })
    })?;
    let moov_kids = children(src, moov.body, moov.end)?;
    let mvhd = child(&moov_kids, b"mvhd").ok_or_else(|| corrupt("moov without an mvhd box"))?;
    let (movie_timescale, _) = parse_mvhd(&read_body(src, mvhd, 128)?)?;
    let mut track = sound_track(src, &moov_kids)?;
    if let Some(mvex) = child(&moov_kids, b"mvex") {
        let defaults = read_body(src, mvex, 64 * 1024)?;
        let default_duration = fragments::trex_default_duration(&defaults, track.id);
        let fragmented = fragments::fragmented_ticks(src, &top, track.id, default_duration)?;
        track.media_ticks = track.media_ticks.saturating_add(fragmented);
    }
    let entry = track.entry.ok_or_else(|| corrupt("sound track without a sample entry"))?;
    let codec = entry.codec.ok_or_else(|| {
        unsupported(format!(
            "audio codec '{}' in {format} is not supported",
            fourcc_str(entry.fourcc)
        ))
    })?;
    if let Some(last) = track.last_chunk.filter(|&o| o >= src.size()) {
        return Err(corrupt(format!(
            "truncated: the audio track's last chunk is at offset {last}, the file has {} bytes",
            src.size()
        )));
    }
    let ticks = presentation_ticks(&track, movie_timescale);
    let timescale = u64::from(track.timescale);
    let duration_ms = check_duration(ticks_to_ms(ticks, timescale), "the track's media header")?;
    let sample_rate = if entry.sample_rate > 0 { entry.sample_rate } else { track.timescale };
    if sample_rate == 0 || entry.channels == 0 {
        return Err(corrupt(format!(
            "sample entry gives {sample_rate} Hz and {} channels",
            entry.channels
        )));
    }
    Ok(MediaFacts {
        format,
        codec,
        duration_ms,
        sample_count: (timescale == u64::from(sample_rate)).then_some(ticks),
        sample_rate,
        channels: entry.channels,
        bitrate: average_bitrate(src.size(), duration_ms),
    })
}

/// The first track whose handler is `soun`.
fn sound_track<R: Read + Seek>(
    src: &mut Source<R>,
    moov_kids: &[BoxHeader],
) -> Result<Track, ProbeError> {
    let mut others = Vec::new();
    for trak in moov_kids.iter().filter(|b| &b.kind == b"trak").take(MAX_TRACKS) {
        src.tick()?;
        let track = parse_trak(src, *trak)?;
        if &track.handler == b"soun" {
            return Ok(track);
        }
        others.push(fourcc_str(track.handler));
    }
    Err(unsupported(if others.is_empty() {
        "the file has no tracks".to_owned()
    } else {
        format!("no audio track (tracks: {})", others.join(", "))
    }))
}

/// The track's length in media ticks as presented: the edit list's, converted from the movie
/// timescale and bounded by the media after the edit's start; else the whole media.
fn presentation_ticks(track: &Track, movie_timescale: u32) -> u64 {
    let media = track.media_ticks;
    match track.edit {
        Some(edit) if edit.duration > 0 => {
            let shown =
                rescale(edit.duration, u64::from(movie_timescale), u64::from(track.timescale));
            shown.min(media.saturating_sub(edit.media_start))
        }
        Some(edit) => media.saturating_sub(edit.media_start),
        None => media,
    }
}
