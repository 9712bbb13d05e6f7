//! RIFF/WAVE (and RF64/BW64, its 64-bit form): the `fmt ` chunk gives the codec and rates, the
//! `data` chunk's size the exact number of sample frames.
//!
//! Duration: data bytes / block align / rate, as ffprobe computes it; for compressed codecs
//! (ADPCM, GSM) the `fact` chunk's sample count where present. A data chunk larger than the file
//! is `Corrupt` (truncated); a size of 0 or 0xFFFFFFFF, which streaming writers leave when they
//! cannot seek back, is read as "to the end of the file".

use std::io::{Read, Seek};

use super::cursor::{Bytes, fourcc_str};
use super::source::Source;
use super::{
    Format, MediaFacts, ProbeError, average_bitrate, check_duration, corrupt, ticks_to_ms,
    unsupported,
};

/// Chunks walked before giving up: real files have a handful.
const MAX_CHUNKS: usize = 4096;

/// The fields of `fmt ` we use.
#[derive(Clone, Copy, Debug)]
struct Fmt {
    tag: u16,
    channels: u16,
    sample_rate: u32,
    byte_rate: u32,
    block_align: u16,
    bits: u16,
}

/// What the chunk walk found.
#[derive(Default)]
struct Chunks {
    fmt: Option<Fmt>,
    /// Bytes of sample data (clipped to the file for "to the end" sizes).
    data: Option<u64>,
    fact: Option<u64>,
}

pub(crate) fn probe<R: Read + Seek>(src: &mut Source<R>) -> Result<MediaFacts, ProbeError> {
    let head = src.read_at(0, 12)?;
    let rf64 = matches!(head.get(0..4), Some(b"RF64" | b"BW64"));
    let chunks = walk(src, rf64)?;
    let fmt = chunks.fmt.ok_or_else(|| corrupt("WAVE file has no fmt chunk"))?;
    let data = chunks.data.ok_or_else(|| corrupt("truncated: WAVE file has no data chunk"))?;
    let codec = codec(&fmt)?;
    if fmt.sample_rate == 0 || fmt.channels == 0 || fmt.block_align == 0 {
        return Err(corrupt(format!(
            "fmt chunk gives {} Hz, {} channels, block align {}",
            fmt.sample_rate, fmt.channels, fmt.block_align
        )));
    }
    let pcm = codec.starts_with("pcm_");
    let (duration_ms, sample_count, bitrate) = if pcm {
        let frames = data / u64::from(fmt.block_align);
        let bitrate = fmt.sample_rate.saturating_mul(u32::from(fmt.block_align)).saturating_mul(8);
        (ticks_to_ms(frames, u64::from(fmt.sample_rate)), Some(frames), bitrate)
    } else if let Some(frames) = chunks.fact.filter(|&f| f > 0) {
        let ms = ticks_to_ms(frames, u64::from(fmt.sample_rate));
        (ms, Some(frames), average_bitrate(data, ms))
    } else if fmt.byte_rate > 0 {
        (ticks_to_ms(data, u64::from(fmt.byte_rate)), None, fmt.byte_rate.saturating_mul(8))
    } else {
        return Err(corrupt("compressed WAVE without a byte rate or fact chunk"));
    };
    Ok(MediaFacts {
        format: Format::Wav,
        codec,
        duration_ms: check_duration(duration_ms, "the data chunk")?,
        sample_count,
        sample_rate: fmt.sample_rate,
        channels: fmt.channels,
        bitrate,
    })
}

/// Walks the chunks after the 12-byte RIFF header until both `fmt ` and `data` are known.
fn walk<R: Read + Seek>(src: &mut Source<R>, rf64: bool) -> Result<Chunks, ProbeError> {
    let size = src.size();
    let mut found = Chunks::default();
    let mut ds64_data = None;
    let mut pos = 12u64;
    for _ in 0..MAX_CHUNKS {
        if found.fmt.is_some() && found.data.is_some() {
            break;
        }
        src.tick()?;
        let Some(header) = src.array_at::<8>(pos)? else { break };
        let id: [u8; 4] = [header[0], header[1], header[2], header[3]];
        let declared = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
        let body = pos + 8;
        let available = size.saturating_sub(body);
        match &id {
            b"data" => {
                let len = data_len(declared, rf64.then_some(ds64_data).flatten(), available)?;
                found.data = Some(len);
                pos = body.saturating_add(len + (len & 1));
                continue;
            }
            b"fmt " => found.fmt = Some(parse_fmt(&src.read_at(body, declared.min(64) as usize)?)?),
            b"fact" => {
                found.fact = src.array_at::<4>(body)?.map(|b| u64::from(u32::from_le_bytes(b)))
            }
            b"ds64" if rf64 => {
                let b = src.read_at(body, 24)?;
                ds64_data = Bytes::new(b.get(8..16).unwrap_or(&[])).u64_le();
            }
            _ => {}
        }
        if declared > available {
            return Err(corrupt(format!(
                "truncated: chunk '{}' at offset {pos} declares {declared} bytes, the file has {available} after its header",
                fourcc_str(id)
            )));
        }
        // Chunks are padded to an even length.
        pos = body + declared + (declared & 1);
    }
    Ok(found)
}

/// The data chunk's length: the declared one (or RF64's 64-bit one) if the file holds it, the
/// rest of the file for a streaming writer's placeholder.
fn data_len(declared: u64, ds64: Option<u64>, available: u64) -> Result<u64, ProbeError> {
    let len = match (declared, ds64) {
        (0xFFFF_FFFF, Some(long)) => long,
        (0 | 0xFFFF_FFFF, _) => return Ok(available),
        (short, _) => short,
    };
    if len > available {
        return Err(corrupt(format!(
            "truncated: data chunk declares {len} bytes, the file has {available}"
        )));
    }
    Ok(len)
}

fn parse_fmt(buf: &[u8]) -> Result<Fmt, ProbeError> {
    let mut b = Bytes::new(buf);
    let short = || corrupt(format!("fmt chunk is {} bytes, at least 16 expected", buf.len()));
    let mut fmt = Fmt {
        tag: b.u16_le().ok_or_else(short)?,
        channels: b.u16_le().ok_or_else(short)?,
        sample_rate: b.u32_le().ok_or_else(short)?,
        byte_rate: b.u32_le().ok_or_else(short)?,
        block_align: b.u16_le().ok_or_else(short)?,
        bits: b.u16_le().ok_or_else(short)?,
    };
    // WAVE_FORMAT_EXTENSIBLE: the real format code opens the sub-format GUID.
    if fmt.tag == 0xFFFE {
        let _cb_size = b.u16_le();
        let _valid_bits = b.u16_le();
        let _channel_mask = b.u32_le();
        fmt.tag =
            b.u16_le().ok_or_else(|| corrupt("WAVE_FORMAT_EXTENSIBLE without a sub-format"))?;
    }
    Ok(fmt)
}

/// ffprobe's codec name for a format tag and sample size.
fn codec(fmt: &Fmt) -> Result<&'static str, ProbeError> {
    Ok(match (fmt.tag, fmt.bits) {
        (1, 8) => "pcm_u8",
        (1, 16) => "pcm_s16le",
        (1, 24) => "pcm_s24le",
        (1, 32) => "pcm_s32le",
        (3, 32) => "pcm_f32le",
        (3, 64) => "pcm_f64le",
        (6, _) => "pcm_alaw",
        (7, _) => "pcm_mulaw",
        (2, _) => "adpcm_ms",
        (0x11, _) => "adpcm_ima_wav",
        (0x31, _) => "gsm_ms",
        (0x55, _) => "mp3",
        (0x64, _) => "adpcm_g726",
        (tag, bits) => {
            return Err(unsupported(format!(
                "WAVE with format tag 0x{tag:04x} and {bits} bits per sample"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_len_rules() {
        assert_eq!(data_len(100, None, 200).expect("fits"), 100);
        assert_eq!(data_len(0, None, 200).expect("streaming"), 200);
        assert_eq!(data_len(0xFFFF_FFFF, None, 200).expect("streaming"), 200);
        assert_eq!(data_len(0xFFFF_FFFF, Some(150), 200).expect("rf64"), 150);
        assert!(
            matches!(data_len(1_000_000, None, 500), Err(ProbeError::Corrupt(m)) if m.contains("1000000"))
        );
    }

    #[test]
    fn extensible_reads_the_sub_format() {
        let mut fmt = vec![0xFE, 0xFF, 2, 0, 0x80, 0xBB, 0, 0, 0, 0xEE, 2, 0, 4, 0, 16, 0];
        fmt.extend_from_slice(&[22, 0, 16, 0, 3, 0, 0, 0, 1, 0, 0, 0]);
        let parsed = parse_fmt(&fmt).expect("fmt");
        assert_eq!((parsed.tag, parsed.sample_rate, parsed.channels), (1, 48_000, 2));
        assert_eq!(codec(&parsed).expect("codec"), "pcm_s16le");
    }
}
