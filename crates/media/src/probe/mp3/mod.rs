//! MPEG audio (MP3, and MP2/MP1 in the same framing): the length from the Xing/Info or VBRI
//! header where there is one, from the byte count where the bitrate is constant, and from a
//! walk over the frame headers only when neither is possible.
//!
//! Durations: with a LAME tag (LAME, ffmpeg) the encoder delay and padding are taken off, so we
//! report the recorded length, which is 25–50 ms shorter than ffprobe's (ffprobe reports every
//! decoded frame and only trims when decoding). Without one we report every frame's samples, as
//! ffprobe does. For constant bitrate without a header we compute audio bytes × 8 / bitrate like
//! ffprobe (which uses the bytes to the end of the file), after checking at a few places that the
//! bitrate really is constant.
//!
//! Without a header and with varying bitrate we walk every frame header (the one case that reads
//! the whole file); ffprobe guesses from the first frame's bitrate there, and can be minutes off.
//!
//! Work: every frame walked is a step; a resynchronisation scans the cached bytes in place (it
//! used to copy a 72 KiB window per step, which a run of small frames of another stream made
//! thousands of times the file), so the walk is linear in the file however its frames chain.
//!
//! Truncation: a header that declares more audio bytes than the file holds, or a last frame cut
//! short, is `Corrupt`. A file cut exactly between frames without a header is a shorter but valid
//! stream, and its facts are those of what remains.

pub(crate) mod frame;
pub(crate) mod tags;

use std::io::{Read, Seek};

use frame::FrameHeader;
use tags::VbrHeader;

use super::source::Source;
use super::{
    Format, MediaFacts, ProbeError, average_bitrate, check_duration, corrupt, ticks_to_ms,
};

/// How far past the tags we look for the first frame (ffmpeg looks about as far).
const SEARCH: usize = 64 * 1024;

/// The largest MPEG audio frame (Layer II, 384 kbit/s at 32 kHz, padded) plus slack.
const MAX_FRAME: usize = 2 * 1024;

/// Places sampled to tell constant from variable bitrate when no header says.
const BITRATE_SAMPLES: u64 = 8;

/// The audio between the tags, and its first frame.
struct Stream {
    first: u64,
    end: u64,
    hdr: FrameHeader,
}

impl Stream {
    fn bytes(&self) -> u64 {
        self.end - self.first
    }
}

pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>) -> Result<MediaFacts, ProbeError> {
    let stream = locate(src)?;
    let frame = src.read_at(stream.first, MAX_FRAME)?;
    let rate = u64::from(stream.hdr.sample_rate);
    match tags::vbr_header(&frame, &stream.hdr) {
        Some(VbrHeader { frames: Some(frames), bytes, delay, padding, cbr }) => {
            check_declared_bytes(&stream, bytes)?;
            check_last_frame(src, &stream)?;
            let total = u64::from(frames) * u64::from(stream.hdr.samples());
            let trimmed = u64::from(delay) + u64::from(padding);
            let samples = if trimmed < total { total - trimmed } else { total };
            // The Info frame itself may use a higher bitrate to fit its tags: take the next one's.
            let bitrate = if cbr { Some(second_frame_kbps(src, &stream)?) } else { None };
            facts(&stream, ticks_to_ms(samples, rate), Some(samples), bitrate)
        }
        _ if constant_bitrate(src, &stream)? => {
            check_last_frame(src, &stream)?;
            let ms = stream.bytes().saturating_mul(8) / u64::from(stream.hdr.bitrate_kbps);
            facts(&stream, ms, None, Some(stream.hdr.bitrate_kbps))
        }
        _ => {
            let samples = walk(src, &stream)?;
            facts(&stream, ticks_to_ms(samples, rate), None, None)
        }
    }
}

/// Builds the facts; `cbr_kbps` is the constant bitrate, if the stream has one, else the bitrate
/// is the audio bytes' average.
fn facts(
    stream: &Stream,
    duration_ms: u64,
    sample_count: Option<u64>,
    cbr_kbps: Option<u32>,
) -> Result<MediaFacts, ProbeError> {
    let duration_ms = check_duration(duration_ms, "the MPEG stream")?;
    let bitrate = match cbr_kbps {
        Some(kbps) => kbps * 1000,
        None => average_bitrate(stream.bytes(), duration_ms),
    };
    Ok(MediaFacts {
        format: Format::Mp3,
        codec: stream.hdr.codec(),
        duration_ms,
        sample_count,
        sample_rate: stream.hdr.sample_rate,
        channels: stream.hdr.channels(),
        bitrate,
    })
}

/// The bitrate of the frame after the first (the first's if there is none).
fn second_frame_kbps<R: Read + Seek>(
    src: &mut Source<R>,
    stream: &Stream,
) -> Result<u32, ProbeError> {
    let next = stream.first + u64::from(stream.hdr.len());
    let hdr = src.array_at::<4>(next)?.and_then(FrameHeader::parse);
    Ok(hdr.filter(|h| stream.hdr.compatible(h)).map_or(stream.hdr.bitrate_kbps, |h| h.bitrate_kbps))
}

/// Finds the audio between the leading and trailing tags and its first real frame.
fn locate<R: Read + Seek>(src: &mut Source<R>) -> Result<Stream, ProbeError> {
    let start = tags::skip_id3v2(src, 0)?;
    let end = tags::audio_end(src, start)?;
    if start >= end {
        return Err(corrupt(format!(
            "truncated: the ID3v2 tag claims {start} bytes, the file has {}",
            src.size()
        )));
    }
    let window_len = usize::try_from(end - start).unwrap_or(usize::MAX).min(SEARCH + 4 * MAX_FRAME);
    let window = src.read_at(start, window_len)?;
    let found = frame::find_first(&window, 0, SEARCH);
    src.work().scanned(found.unwrap_or(SEARCH))?;
    let pos =
        found.ok_or_else(|| corrupt("no MPEG audio frame in the first 64 KiB after the tags"))?;
    let hdr = frame::header_at(&window, pos).ok_or_else(|| corrupt("no MPEG audio frame"))?;
    Ok(Stream { first: start + pos as u64, end, hdr })
}

/// A header's byte count larger than the file means the end was cut off.
fn check_declared_bytes(stream: &Stream, declared: Option<u32>) -> Result<(), ProbeError> {
    match declared {
        Some(bytes) if u64::from(bytes) > stream.bytes() => Err(corrupt(format!(
            "truncated: the Xing header declares {bytes} bytes of audio, the file has {}",
            stream.bytes()
        ))),
        _ => Ok(()),
    }
}

/// Checks that the last frames end exactly where the audio ends. Stray bytes after them that
/// are no frame are tolerated (some recorders pad); a frame that runs past the end is not.
fn check_last_frame<R: Read + Seek>(
    src: &mut Source<R>,
    stream: &Stream,
) -> Result<(), ProbeError> {
    let len = stream.bytes().min(4 * MAX_FRAME as u64);
    let tail_start = stream.end - len;
    let tail = src.read_at(tail_start, usize::try_from(len).unwrap_or(0))?;
    let found = frame::find_first(&tail, 1, tail.len());
    src.work().scanned(found.unwrap_or(tail.len()))?;
    let Some(mut pos) = found else { return Ok(()) };
    while let Some(hdr) = frame::header_at(&tail, pos).filter(|h| stream.hdr.compatible(h)) {
        src.tick()?;
        let next = pos + hdr.len() as usize;
        if next > tail.len() {
            return Err(corrupt(format!(
                "truncated: the last MPEG frame at offset {} needs {} bytes, the file ends after {}",
                tail_start + pos as u64,
                hdr.len(),
                tail.len() - pos
            )));
        }
        pos = next;
    }
    Ok(())
}

/// Whether the bitrate is the same at every sampled place: then bytes give the length exactly.
fn constant_bitrate<R: Read + Seek>(
    src: &mut Source<R>,
    stream: &Stream,
) -> Result<bool, ProbeError> {
    for k in 0..BITRATE_SAMPLES {
        let at = stream.first + stream.bytes() * k / BITRATE_SAMPLES;
        let len = (stream.end - at).min(8 * MAX_FRAME as u64);
        let window = src.read_at(at, usize::try_from(len).unwrap_or(0))?;
        let mut pos = frame::find_first(&window, 0, window.len() / 2);
        src.work().scanned(pos.unwrap_or(window.len() / 2))?;
        // Compare a few consecutive frames at each place: VBR changes from frame to frame.
        for _ in 0..4 {
            let Some(h) = pos.and_then(|p| frame::header_at(&window, p)) else { break };
            if h.bitrate_kbps != stream.hdr.bitrate_kbps {
                return Ok(false);
            }
            pos = pos.map(|p| p + h.len() as usize);
        }
    }
    Ok(true)
}

/// Counts the samples of every frame, reading only their 4-byte headers; a gap of junk is
/// skipped by searching for the next chain of frames, a frame cut off by the end is `Corrupt`.
fn walk<R: Read + Seek>(src: &mut Source<R>, stream: &Stream) -> Result<u64, ProbeError> {
    let mut pos = stream.first;
    let mut samples = 0u64;
    while pos + 4 <= stream.end {
        src.tick()?;
        let hdr = src.array_at::<4>(pos)?.and_then(FrameHeader::parse);
        match hdr.filter(|h| stream.hdr.compatible(h)) {
            Some(h) => {
                let next = pos + u64::from(h.len());
                if next > stream.end {
                    return Err(corrupt(format!(
                        "truncated: the last MPEG frame at offset {pos} needs {} bytes, the file ends after {}",
                        h.len(),
                        stream.end - pos
                    )));
                }
                samples += u64::from(h.samples());
                pos = next;
            }
            None => match resync(src, pos, stream.end)? {
                Some(next) => pos = next,
                None => break,
            },
        }
    }
    Ok(samples)
}

/// The next frame chain after junk at `pos`; `None` when the rest is a short tail of junk. The
/// window is scanned where it lies in the cache, and only what the scan passed over counts.
fn resync<R: Read + Seek>(
    src: &mut Source<R>,
    pos: u64,
    end: u64,
) -> Result<Option<u64>, ProbeError> {
    let len = usize::try_from(end - pos).unwrap_or(usize::MAX).min(SEARCH + 4 * MAX_FRAME);
    let (window, work) = src.view(pos, len)?;
    let found = frame::find_first(window, 1, SEARCH);
    work.scanned(found.unwrap_or(SEARCH.min(window.len())))?;
    match found {
        Some(found) => Ok(Some(pos + found as u64)),
        None if end - pos <= SEARCH as u64 => Ok(None),
        None => Err(corrupt(format!("no MPEG audio frame in the 64 KiB after offset {pos}"))),
    }
}
