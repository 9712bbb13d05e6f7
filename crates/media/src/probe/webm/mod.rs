//! WebM (Matroska with DocType `webm`, or `matroska` carrying Opus or Vorbis, the WebM codecs):
//! the audio track from `Tracks`, the length from `Info`'s Duration, or, for files written live
//! without one, from the last audio block of the last Cluster.
//!
//! Duration: `Info` Duration × TimecodeScale, less the track's CodecDelay: blocks are stamped
//! from −CodecDelay (the Opus pre-skip), so what plays from 0 is that much shorter than the
//! Duration ffprobe reports (6.5 ms for libopus). Without Duration: the end of the last audio
//! block (its timestamp plus its BlockDuration, the track's DefaultDuration, or the length its
//! Opus TOC byte gives) less its DiscardPadding, less CodecDelay. With a video track too, the
//! Segment's Duration covers the longer track. `sample_count` is `None`: Matroska timestamps
//! are milliseconds. Truncation: a Segment or last Cluster or block that runs past the end is
//! `Corrupt`; unknown sizes (live writers) are accepted.

mod ebml;
mod tail;

use std::io::{Read, Seek};

use super::budget::Work;
use super::source::Source;
use super::{
    Format, MediaFacts, ProbeError, average_bitrate, check_duration, corrupt, unsupported,
};
use ebml::{
    AUDIO, CHANNELS, CLUSTER, CODEC_DELAY, CODEC_ID, DEFAULT_DURATION, DOC_TYPE, DURATION, EBML,
    INFO, SAMPLING_FREQUENCY, SEGMENT, TIMECODE_SCALE, TRACK_ENTRY, TRACK_NUMBER, TRACK_TYPE,
    TRACKS, children_of, element_at, float, read_body, trim_string, uint,
};

/// Segment children walked before the first Cluster; the most of Info or Tracks we read.
const MAX_ELEMENTS: usize = 4096;
const MAX_HEADER_ELEMENT: u64 = 4 * 1024 * 1024;

/// The audio track as Tracks describes it.
#[derive(Clone, Copy, Debug)]
pub(super) struct AudioTrack {
    pub(super) number: u64,
    pub(super) codec: &'static str,
    sample_rate: u32,
    channels: u16,
    pub(super) default_duration_ns: u64,
    /// Decoder warm-up before timestamp 0 (Opus pre-skip), which blocks are shifted by.
    codec_delay_ns: u64,
}

pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>) -> Result<MediaFacts, ProbeError> {
    let header = element_at(src, 0)?
        .filter(|e| e.id == EBML)
        .ok_or_else(|| corrupt("truncated EBML header"))?;
    let header_end =
        header.body + header.size.ok_or_else(|| corrupt("EBML header of unknown size"))?;
    check_doc_type(&read_body(src, header, 4096)?)?;
    let segment = element_at(src, header_end)?
        .filter(|e| e.id == SEGMENT)
        .ok_or_else(|| corrupt("truncated: no Segment after the EBML header"))?;
    let segment_end = match segment.size {
        Some(size) if segment.body.saturating_add(size) > src.size() => {
            return Err(corrupt(format!(
                "truncated: Segment declares {size} bytes, the file has {}",
                src.size() - segment.body
            )));
        }
        Some(size) => segment.body + size,
        None => src.size(),
    };
    let head = segment_head(src, segment.body, segment_end)?;
    let track = head.track.ok_or_else(|| unsupported(head.no_audio_reason()))?;
    let end_ns = match head.duration {
        Some(d) => scaled_ns(d, head.timecode_scale),
        None => tail::last_block_end(src, &track, head.timecode_scale)?,
    };
    // Timestamps run from −CodecDelay: what plays from 0 is that much shorter.
    let duration_ns = end_ns.saturating_sub(track.codec_delay_ns);
    if track.sample_rate == 0 || track.channels == 0 {
        return Err(corrupt(format!(
            "audio track gives {} Hz and {} channels",
            track.sample_rate, track.channels
        )));
    }
    let duration_ms = check_duration(duration_ns / 1_000_000, "the Segment duration")?;
    Ok(MediaFacts {
        format: Format::Webm,
        codec: track.codec,
        duration_ms,
        sample_count: None,
        sample_rate: track.sample_rate,
        channels: track.channels,
        bitrate: average_bitrate(src.size(), duration_ms),
    })
}

/// Only WebM, and Matroska files (whose audio must then be a WebM codec, checked later).
fn check_doc_type(body: &[u8]) -> Result<(), ProbeError> {
    let doc_type = children_of(body).find(|(id, _)| *id == DOC_TYPE).map(|(_, v)| v);
    match doc_type.map(trim_string).as_deref() {
        Some("webm" | "matroska") | None => Ok(()),
        Some(other) => Err(unsupported(format!("EBML document type '{other}' is not WebM"))),
    }
}

/// What the Segment's Info and Tracks say.
#[derive(Default)]
struct SegmentHead {
    timecode_scale: u64,
    duration: Option<f64>,
    track: Option<AudioTrack>,
    other_codecs: Vec<String>,
}

impl SegmentHead {
    fn no_audio_reason(&self) -> String {
        if self.other_codecs.is_empty() {
            "WebM file without an audio track".to_owned()
        } else {
            format!(
                "WebM file without an Opus or Vorbis track (tracks: {})",
                self.other_codecs.join(", ")
            )
        }
    }
}

/// Reads Info and Tracks from the Segment's children up to the first Cluster.
fn segment_head<R: Read + Seek>(
    src: &mut Source<R>,
    body: u64,
    end: u64,
) -> Result<SegmentHead, ProbeError> {
    let mut head = SegmentHead { timecode_scale: 1_000_000, ..SegmentHead::default() };
    let mut pos = body;
    for _ in 0..MAX_ELEMENTS {
        src.tick()?;
        let Some(e) = element_at(src, pos)?.filter(|_| pos < end) else { break };
        if e.id == CLUSTER {
            break;
        }
        let size = e.size.ok_or_else(|| {
            corrupt(format!("element 0x{:X} of unknown size before the first Cluster", e.id))
        })?;
        if e.body.saturating_add(size) > end {
            return Err(corrupt(format!(
                "truncated: element 0x{:X} at offset {pos} runs past the Segment",
                e.id
            )));
        }
        match e.id {
            INFO => read_info(&read_body(src, e, MAX_HEADER_ELEMENT)?, &mut head, src.work())?,
            TRACKS => read_tracks(&read_body(src, e, MAX_HEADER_ELEMENT)?, &mut head, src.work())?,
            _ => {}
        }
        pos = e.body + size;
    }
    Ok(head)
}

fn read_info(body: &[u8], head: &mut SegmentHead, work: &mut Work) -> Result<(), ProbeError> {
    for (id, value) in children_of(body) {
        work.tick()?;
        match id {
            TIMECODE_SCALE => {
                head.timecode_scale = uint(value).filter(|&s| s > 0).unwrap_or(1_000_000)
            }
            DURATION => head.duration = float(value).filter(|d| d.is_finite() && *d >= 0.0),
            _ => {}
        }
    }
    Ok(())
}

fn read_tracks(body: &[u8], head: &mut SegmentHead, work: &mut Work) -> Result<(), ProbeError> {
    for (id, entry) in children_of(body) {
        work.tick()?;
        if id != TRACK_ENTRY || head.track.is_some() {
            continue;
        }
        let mut number = 0;
        let mut kind = 0;
        let mut codec_id = String::new();
        let mut default_duration_ns = 0;
        let mut codec_delay_ns = 0;
        let mut rate = 8000.0;
        let mut channels = 1;
        for (id, value) in children_of(entry) {
            work.tick()?;
            match id {
                TRACK_NUMBER => number = uint(value).unwrap_or(0),
                TRACK_TYPE => kind = uint(value).unwrap_or(0),
                CODEC_ID => codec_id = trim_string(value),
                DEFAULT_DURATION => default_duration_ns = uint(value).unwrap_or(0),
                CODEC_DELAY => codec_delay_ns = uint(value).unwrap_or(0),
                AUDIO => {
                    for (id, value) in children_of(value) {
                        work.tick()?;
                        match id {
                            SAMPLING_FREQUENCY => rate = float(value).unwrap_or(rate),
                            CHANNELS => channels = uint(value).unwrap_or(channels),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let codec = match codec_id.as_str() {
            "A_OPUS" => "opus",
            "A_VORBIS" => "vorbis",
            _ => {
                head.other_codecs.push(codec_id);
                continue;
            }
        };
        if kind != 2 && kind != 0 {
            continue;
        }
        let sample_rate = if (1.0..1e7).contains(&rate) { rate as u32 } else { 0 };
        head.track = Some(AudioTrack {
            number,
            codec,
            sample_rate: if codec == "opus" { 48_000 } else { sample_rate },
            channels: u16::try_from(channels).unwrap_or(0),
            default_duration_ns,
            codec_delay_ns,
        });
    }
    Ok(())
}

/// Nanoseconds in `ticks` of `scale` ns each.
fn scaled_ns(ticks: f64, scale: u64) -> u64 {
    let ns = ticks * scale as f64;
    if ns.is_finite() && ns >= 0.0 && ns < u64::MAX as f64 { ns as u64 } else { u64::MAX }
}
