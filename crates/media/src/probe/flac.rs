//! Native FLAC: STREAMINFO gives the rate, channels and exact sample count; the last frame,
//! found in the file's tail and checked by its CRC-16, proves the file is whole.
//!
//! Duration: total samples / rate, as ffprobe reports it. When STREAMINFO says 0 samples (a
//! streaming encoder that could not seek back), the count is the last frame's first sample plus
//! its block size. A last frame that fails its CRC, or frames that end before the declared count,
//! is `Corrupt` (truncated).
//!
//! Work: candidates for the last frame are checked nearest the end first, each by a CRC-16 over
//! the rest of the tail; those checksums are capped at a few times the tail, since frame headers
//! that pass their CRC-8, packed at the start of a 1 MiB tail, once cost a MiB each.

use std::io::{Read, Seek};

use super::crc::{crc8, crc16};
use super::cursor::Bytes;
use super::mp3::tags;
use super::source::Source;
use super::{
    Format, MediaFacts, ProbeError, average_bitrate, check_duration, corrupt, ticks_to_ms,
};

/// Metadata blocks walked before giving up.
const MAX_BLOCKS: usize = 1024;

/// How far before the end the last frame may start when STREAMINFO gives no maximum frame size,
/// and the most we search whatever it says.
const DEFAULT_TAIL: u64 = 64 * 1024;
const MAX_TAIL: u64 = 1024 * 1024;

/// Frame headers (that pass their CRC-8) tried as the last frame before calling the tail cut.
const MAX_CANDIDATES: usize = 64;

/// Bytes checksummed per byte of the tail: the real last frame is the tail at most, and the few
/// false candidates nearer the end each cost less than it.
const CRC_PER_TAIL_BYTE: usize = 4;

/// The STREAMINFO fields we use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StreamInfo {
    pub(crate) max_block: u32,
    pub(crate) max_frame: u32,
    pub(crate) sample_rate: u32,
    pub(crate) channels: u16,
    pub(crate) total_samples: u64,
}

/// Parses the 34-byte STREAMINFO block body.
pub(crate) fn parse_streaminfo(buf: &[u8]) -> Result<StreamInfo, ProbeError> {
    let mut b = Bytes::new(buf);
    let short = || corrupt("truncated: STREAMINFO is shorter than 34 bytes");
    let _min_block = b.u16_be().ok_or_else(short)?;
    let max_block = u32::from(b.u16_be().ok_or_else(short)?);
    let _min_frame = b.u24_be().ok_or_else(short)?;
    let max_frame = b.u24_be().ok_or_else(short)?;
    let packed = b.u64_be().ok_or_else(short)?;
    let info = StreamInfo {
        max_block,
        max_frame,
        sample_rate: (packed >> 44) as u32,
        channels: ((packed >> 41) & 7) as u16 + 1,
        total_samples: packed & 0xF_FFFF_FFFF,
    };
    if info.sample_rate == 0 {
        return Err(corrupt("STREAMINFO gives a sample rate of 0"));
    }
    Ok(info)
}

pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>) -> Result<MediaFacts, ProbeError> {
    let start = tags::skip_id3v2(src, 0)?;
    let (info, audio_start) = metadata(src, start)?;
    let end = tags::audio_end(src, audio_start)?;
    let sync = src.array_at::<2>(audio_start)?;
    if !sync.is_some_and(|s| s[0] == 0xFF && s[1] & 0xFE == 0xF8) {
        return Err(corrupt(format!(
            "truncated: no FLAC frame after the metadata at offset {audio_start}"
        )));
    }
    let frames_end = last_frame_end(src, &info, audio_start, end)?;
    let total = match info.total_samples {
        0 => frames_end,
        declared if frames_end < declared => {
            return Err(corrupt(format!(
                "truncated: STREAMINFO declares {declared} samples, the frames end at sample {frames_end}"
            )));
        }
        declared => declared,
    };
    let duration_ms =
        check_duration(ticks_to_ms(total, u64::from(info.sample_rate)), "STREAMINFO")?;
    Ok(MediaFacts {
        format: Format::Flac,
        codec: "flac",
        duration_ms,
        sample_count: Some(total),
        sample_rate: info.sample_rate,
        channels: info.channels,
        bitrate: average_bitrate(src.size(), duration_ms),
    })
}

/// STREAMINFO and the offset where the audio frames begin, after the last metadata block.
fn metadata<R: Read + Seek>(
    src: &mut Source<R>,
    start: u64,
) -> Result<(StreamInfo, u64), ProbeError> {
    let mut pos = start + 4;
    let mut info = None;
    for _ in 0..MAX_BLOCKS {
        src.tick()?;
        let header = src.array_at::<4>(pos)?.ok_or_else(|| {
            corrupt(format!("truncated: metadata block header at offset {pos} is cut off"))
        })?;
        let len = u64::from(u32::from_be_bytes([0, header[1], header[2], header[3]]));
        let body = pos + 4;
        if body + len > src.size() {
            return Err(corrupt(format!(
                "truncated: metadata block at offset {pos} declares {len} bytes, the file has {}",
                src.size() - body.min(src.size())
            )));
        }
        if header[0] & 0x7F == 0 && info.is_none() {
            info = Some(parse_streaminfo(&src.read_at(body, 34)?)?);
        }
        pos = body + len;
        if header[0] & 0x80 != 0 {
            let info = info.ok_or_else(|| corrupt("FLAC stream has no STREAMINFO block"))?;
            return Ok((info, pos));
        }
    }
    Err(corrupt("FLAC stream has no last metadata block"))
}

/// The sample number where the frames end: the last frame is the one nearest the end whose
/// CRC-16 matches over the bytes up to the end of the audio.
fn last_frame_end<R: Read + Seek>(
    src: &mut Source<R>,
    info: &StreamInfo,
    audio_start: u64,
    end: u64,
) -> Result<u64, ProbeError> {
    // The last frame starts at most one maximum frame size (plus its header) before the end.
    let want = match info.max_frame {
        0 => DEFAULT_TAIL,
        max => (u64::from(max) + 32).min(MAX_TAIL),
    };
    let len = want.min(end.saturating_sub(audio_start));
    let tail_start = end - len;
    let tail = src.read_at(tail_start, usize::try_from(len).unwrap_or(0))?;
    src.work().scanned(tail.len())?;
    let headers = (0..tail.len().saturating_sub(1))
        .rev()
        .filter(|&i| tail[i] == 0xFF)
        .filter_map(|i| Some((i, FrameHeader::parse(&tail[i..])?)))
        .take(MAX_CANDIDATES);
    let mut crc_allowance = CRC_PER_TAIL_BYTE * tail.len();
    for (i, frame) in headers {
        let (data, crc) = tail[i..].split_at(tail.len() - i - 2);
        let Some(left) = crc_allowance.checked_sub(data.len()) else { break };
        crc_allowance = left;
        src.work().checksummed(data.len())?;
        if crc16(data) == u16::from_be_bytes([crc[0], crc[1]]) {
            return Ok(frame.first_sample(info).saturating_add(u64::from(frame.block_size)));
        }
    }
    Err(corrupt(
        "truncated: the last FLAC frame is incomplete (no frame in the tail passes its CRC)",
    ))
}

/// The parts of a FLAC frame header that place the frame in time.
struct FrameHeader {
    variable: bool,
    /// Frame number (fixed block size) or first sample number (variable).
    number: u64,
    block_size: u32,
}

impl FrameHeader {
    /// A frame header at the start of `buf` whose CRC-8 checks out.
    fn parse(buf: &[u8]) -> Option<Self> {
        let mut b = Bytes::new(buf);
        let sync = b.u16_be()?;
        if sync & 0xFFFE != 0xFFF8 {
            return None;
        }
        let sizes = b.u8()?;
        let _channels_and_depth = b.u8()?;
        let number = utf8_number(&mut b)?;
        let block_size = match sizes >> 4 {
            0 => return None,
            1 => 192,
            n @ 2..=5 => 576 << (n - 2),
            6 => u32::from(b.u8()?) + 1,
            7 => u32::from(b.u16_be()?) + 1,
            n => 256 << (n - 8),
        };
        match sizes & 0x0F {
            12 => b.skip(1)?,
            13 | 14 => b.skip(2)?,
            15 => return None,
            _ => {}
        }
        let header_len = b.pos();
        if crc8(buf.get(..header_len)?) != b.u8()? {
            return None;
        }
        Some(FrameHeader { variable: sync & 1 == 1, number, block_size })
    }

    fn first_sample(&self, info: &StreamInfo) -> u64 {
        if self.variable {
            self.number
        } else {
            self.number.saturating_mul(u64::from(info.max_block))
        }
    }
}

/// FLAC's UTF-8-style coded number (up to 36 bits in 7 bytes).
fn utf8_number(b: &mut Bytes<'_>) -> Option<u64> {
    let first = b.u8()?;
    let extra = match first.leading_ones() {
        0 => return Some(u64::from(first)),
        n @ 2..=7 => n as usize - 1,
        _ => return None,
    };
    let mut value = u64::from(first & (0x7F >> (extra + 1)));
    for _ in 0..extra {
        let next = b.u8()?;
        if next & 0xC0 != 0x80 {
            return None;
        }
        value = (value << 6) | u64::from(next & 0x3F);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaminfo_fields() {
        // 44.1 kHz, 2 channels, 16 bits, 441000 samples.
        let mut si = vec![0x10, 0x00, 0x10, 0x00, 0, 0, 0x10, 0, 0x20, 0];
        let packed: u64 = (44_100 << 44) | (1 << 41) | (15 << 36) | 441_000;
        si.extend_from_slice(&packed.to_be_bytes());
        si.extend_from_slice(&[0; 16]);
        let info = parse_streaminfo(&si).expect("streaminfo");
        assert_eq!((info.sample_rate, info.channels, info.total_samples), (44_100, 2, 441_000));
        assert_eq!((info.max_block, info.max_frame), (4096, 0x2000));
    }

    #[test]
    fn coded_numbers() {
        assert_eq!(utf8_number(&mut Bytes::new(&[0x41])), Some(0x41));
        assert_eq!(utf8_number(&mut Bytes::new(&[0xC3, 0xA9])), Some(0xE9));
        assert_eq!(utf8_number(&mut Bytes::new(&[0xE2, 0x82, 0xAC])), Some(0x20AC));
        assert_eq!(utf8_number(&mut Bytes::new(&[0x80])), None);
        assert_eq!(utf8_number(&mut Bytes::new(&[0xC3, 0x29])), None);
    }
}
