//! Ogg (Vorbis, Opus, and FLAC-in-Ogg): the codec from the first packet, the length from the
//! granule position of the stream's last page, found by searching the file's tail backwards.
//!
//! Duration: Vorbis and FLAC, last granule / rate (ffprobe's figure; we assume the stream starts
//! at granule 0, which every encoder writes). Opus, (last granule − pre-skip) / 48000: the
//! recorded length. ffprobe leaves the pre-skip (6.5 ms for libopus) in, so we are that much
//! shorter. Truncation: a last page cut short (it runs past the end, or fails its CRC), or a
//! stream that stops after its headers, is `Corrupt`; a file cut exactly between pages keeps the
//! facts of what remains.
//!
//! Work: the tail search checks each candidate page's CRC in place, and the checksums of
//! candidates that fail are capped at twice the tail: headers crafted to overlap, each claiming
//! to reach the last page, once cost a 64 KiB checksum apiece.

use std::io::{Read, Seek};

use super::crc::crc32_on;
use super::cursor::Bytes;
use super::flac::parse_streaminfo;
use super::source::Source;
use super::{
    Format, MediaFacts, ProbeError, average_bitrate, check_duration, corrupt, ticks_to_ms,
    unsupported,
};

/// The largest Ogg page: 27-byte header, 255 lacing values, 255 × 255 bytes of data.
const MAX_PAGE: usize = 27 + 255 + 255 * 255;

/// Header pages of interleaved streams examined for an audio stream.
const MAX_BOS_PAGES: usize = 16;

/// Bytes of failed checksums allowed per byte of the tail searched: a real file's tail holds
/// whole pages only (a stray "OggS" in a packet almost never fits before the page after it).
const FAILED_CRC_PER_TAIL_BYTE: usize = 2;

const EOS: u8 = 4;
const BOS: u8 = 2;

/// An Ogg page header at a known offset.
#[derive(Clone, Copy, Debug)]
struct Page {
    flags: u8,
    granule: u64,
    serial: u32,
    header_len: usize,
    body_len: usize,
}

impl Page {
    /// The page header at the start of `buf` (capture pattern, version 0, lacing table).
    fn parse(buf: &[u8]) -> Option<Page> {
        let mut b = Bytes::new(buf);
        if b.take(4)? != b"OggS" || b.u8()? != 0 {
            return None;
        }
        let flags = b.u8()?;
        let granule = b.u64_le()?;
        let serial = b.u32_le()?;
        let _sequence = b.u32_le()?;
        let _crc = b.u32_le()?;
        let segments = usize::from(b.u8()?);
        let lacing = b.take(segments)?;
        let body_len = lacing.iter().map(|&l| usize::from(l)).sum();
        Some(Page { flags, granule, serial, header_len: 27 + segments, body_len })
    }

    fn len(&self) -> usize {
        self.header_len + self.body_len
    }
}

/// The audio stream's identification: codec and what timing needs.
#[derive(Clone, Copy, Debug)]
struct Ident {
    codec: &'static str,
    serial: u32,
    sample_rate: u32,
    channels: u16,
    /// Samples at the start that are decoder warm-up, not audio (Opus pre-skip).
    pre_skip: u64,
}

pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>) -> Result<MediaFacts, ProbeError> {
    let ident = find_audio_stream(src)?;
    let last = last_granule(src, ident.serial)?;
    if last.granule == 0 && !last.eos {
        return Err(corrupt("truncated: the Ogg stream ends after its headers"));
    }
    let samples = last.granule.checked_sub(ident.pre_skip).ok_or_else(|| {
        corrupt(format!(
            "last granule position {} is before the pre-skip {}",
            last.granule, ident.pre_skip
        ))
    })?;
    let duration_ms = check_duration(
        ticks_to_ms(samples, u64::from(ident.sample_rate)),
        "the last granule position",
    )?;
    Ok(MediaFacts {
        format: Format::Ogg,
        codec: ident.codec,
        duration_ms,
        sample_count: Some(samples),
        sample_rate: ident.sample_rate,
        channels: ident.channels,
        bitrate: average_bitrate(src.size(), duration_ms),
    })
}

/// The first audio stream among the beginning-of-stream pages at the start of the file.
fn find_audio_stream<R: Read + Seek>(src: &mut Source<R>) -> Result<Ident, ProbeError> {
    let mut pos = 0u64;
    let mut seen = Vec::new();
    for _ in 0..MAX_BOS_PAGES {
        src.tick()?;
        let buf = src.read_at(pos, MAX_PAGE)?;
        let page = Page::parse(&buf)
            .ok_or_else(|| corrupt(format!("truncated: no Ogg page header at offset {pos}")))?;
        if page.flags & BOS == 0 {
            break;
        }
        let body = buf.get(page.header_len..page.len()).ok_or_else(|| {
            corrupt(format!("truncated: the Ogg page at offset {pos} is cut off"))
        })?;
        match identify(body, page.serial)? {
            Some(ident) => return Ok(ident),
            None => seen.push(codec_label(body)),
        }
        pos += page.len() as u64;
    }
    Err(unsupported(format!(
        "Ogg file without a Vorbis, Opus or FLAC stream (found: {})",
        seen.join(", ")
    )))
}

/// The identification of an audio stream whose first packet is `body`, `None` for other codecs.
fn identify(body: &[u8], serial: u32) -> Result<Option<Ident>, ProbeError> {
    let mut b = Bytes::new(body);
    let short = |codec: &str| corrupt(format!("{codec} identification header is cut short"));
    if body.starts_with(b"\x01vorbis") {
        b.skip(7 + 4);
        let channels = u16::from(b.u8().ok_or_else(|| short("Vorbis"))?);
        let sample_rate = b.u32_le().ok_or_else(|| short("Vorbis"))?;
        return ident("vorbis", serial, sample_rate, channels, 0).map(Some);
    }
    if body.starts_with(b"OpusHead") {
        b.skip(8 + 1);
        let channels = u16::from(b.u8().ok_or_else(|| short("Opus"))?);
        let pre_skip = u64::from(b.u16_le().ok_or_else(|| short("Opus"))?);
        return ident("opus", serial, 48_000, channels, pre_skip).map(Some);
    }
    if body.starts_with(b"\x7fFLAC") {
        // 0x7F "FLAC", version (2), header count (2), "fLaC", block header (4), STREAMINFO.
        let info = parse_streaminfo(body.get(17..).unwrap_or(&[]))?;
        return ident("flac", serial, info.sample_rate, info.channels, 0).map(Some);
    }
    Ok(None)
}

fn ident(
    codec: &'static str,
    serial: u32,
    sample_rate: u32,
    channels: u16,
    pre_skip: u64,
) -> Result<Ident, ProbeError> {
    if sample_rate == 0 || channels == 0 {
        return Err(corrupt(format!(
            "{codec} header gives {sample_rate} Hz and {channels} channels"
        )));
    }
    Ok(Ident { codec, serial, sample_rate, channels, pre_skip })
}

/// A short printable name for an Ogg stream we do not read (Theora, Speex, Skeleton…).
fn codec_label(body: &[u8]) -> String {
    let name: String =
        body.iter().take(8).filter(|b| b.is_ascii_alphanumeric()).map(|&b| char::from(b)).collect();
    if name.is_empty() { "unknown".to_owned() } else { name }
}

/// The stream's final granule position and whether its page carries the end-of-stream flag.
struct Last {
    granule: u64,
    eos: bool,
}

/// Searches the tail backwards for the last complete page of stream `serial` with a granule
/// position. The file's very last page (of any stream) must be whole and pass its CRC.
fn last_granule<R: Read + Seek>(src: &mut Source<R>, serial: u32) -> Result<Last, ProbeError> {
    let len = src.size().min(2 * MAX_PAGE as u64);
    let tail_start = src.size() - len;
    let tail = src.read_at(tail_start, usize::try_from(len).unwrap_or(0))?;
    src.work().scanned(tail.len())?;
    let mut checked_last = false;
    let mut limit = tail.len();
    let mut failed_crc_allowance = FAILED_CRC_PER_TAIL_BYTE * tail.len();
    for at in (0..tail.len().saturating_sub(3)).rev() {
        if &tail[at..at + 4] != b"OggS" {
            continue;
        }
        src.tick()?;
        let Some(page) = Page::parse(&tail[at..]) else { continue };
        let end = at + page.len();
        if !checked_last {
            src.work().checksummed(page.len())?;
            check_final_page(&tail, at, &page, tail_start)?;
            checked_last = true;
        } else if end > limit {
            continue;
        } else {
            src.work().checksummed(page.len())?;
            if !crc_ok(&tail[at..end]) {
                failed_crc_allowance =
                    failed_crc_allowance.checked_sub(page.len()).ok_or_else(|| {
                        corrupt("the tail searched for the last Ogg page is full of pages that fail their CRC")
                    })?;
                continue;
            }
        }
        limit = at;
        // -1 means no packet ends on this page.
        if page.serial == serial && page.granule != u64::MAX {
            return Ok(Last { granule: page.granule, eos: page.flags & EOS != 0 });
        }
    }
    Err(corrupt("no complete final Ogg page found in the last 128 KiB"))
}

/// The file's last page must end within the file and pass its CRC, else the file was cut.
fn check_final_page(
    tail: &[u8],
    at: usize,
    page: &Page,
    tail_start: u64,
) -> Result<(), ProbeError> {
    let offset = tail_start + at as u64;
    let end = at + page.len();
    if end > tail.len() {
        return Err(corrupt(format!(
            "truncated: the last Ogg page at offset {offset} declares {} bytes, the file ends after {}",
            page.len(),
            tail.len() - at
        )));
    }
    if !crc_ok(&tail[at..end]) {
        return Err(corrupt(format!("the last Ogg page at offset {offset} fails its CRC")));
    }
    Ok(())
}

/// Whether a whole page (header and body) matches the CRC stored in its header, computed as if
/// that field were zero.
fn crc_ok(page: &[u8]) -> bool {
    let (Some(head), Some(stored), Some(rest)) = (page.get(..22), page.get(22..26), page.get(26..))
    else {
        return false;
    };
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    crc32_on(crc32_on(crc32_on(0, head), &[0; 4]), rest) == stored
}
