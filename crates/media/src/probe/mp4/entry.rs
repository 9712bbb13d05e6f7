//! The audio sample entry in `stsd`: the codec (by its four-character code, and for `mp4a` by
//! the `esds` object type), the channels and the sample rate, preferring what the codec's own
//! configuration says (AAC AudioSpecificConfig, ALAC cookie, Opus `dOps`) over the entry's
//! legacy 16.16 fields.

use std::io::{Read, Seek};

use super::super::cursor::Bytes;
use super::super::source::Source;
use super::super::{ProbeError, corrupt};
use super::boxes::{BoxHeader, children, read_box};
use super::trak::read_body;

/// The most of a sample entry we read: its fields and configuration boxes are small.
const MAX_ENTRY: usize = 64 * 1024;

/// An audio sample entry, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SampleEntry {
    pub(super) fourcc: [u8; 4],
    /// `None` for a codec we do not name (the track is then unsupported).
    pub(super) codec: Option<&'static str>,
    pub(super) sample_rate: u32,
    pub(super) channels: u16,
}

/// The first entry of `stsd`, if any; only audio tracks' entries are meaningful.
pub(super) fn parse_stsd<R: Read + Seek>(
    src: &mut Source<R>,
    stsd: BoxHeader,
) -> Result<Option<SampleEntry>, ProbeError> {
    // Full box header (4) and entry count (4) precede the entries.
    let Some(entry) = read_box(src, stsd.body + 8, stsd.end)? else { return Ok(None) };
    let body = read_body(src, entry, MAX_ENTRY)?;
    let mut b = Bytes::new(&body);
    let short = || corrupt("audio sample entry is cut short");
    b.skip(8).ok_or_else(short)?;
    let version = b.u16_be().ok_or_else(short)?;
    b.skip(6).ok_or_else(short)?;
    let mut channels = b.u16_be().ok_or_else(short)?;
    let bits = b.u16_be().ok_or_else(short)?;
    b.skip(4).ok_or_else(short)?;
    let mut sample_rate = b.u32_be().ok_or_else(short)? >> 16;
    let mut lpcm_flags = 0;
    let mut lpcm_bits = bits;
    match version {
        1 => b.skip(16).ok_or_else(short)?,
        2 => {
            b.skip(4).ok_or_else(short)?;
            let rate = f64::from_bits(b.u64_be().ok_or_else(short)?);
            sample_rate = if (1.0..1e7).contains(&rate) { rate as u32 } else { 0 };
            channels = u16::try_from(b.u32_be().ok_or_else(short)?).unwrap_or(0);
            b.skip(4).ok_or_else(short)?;
            lpcm_bits = u16::try_from(b.u32_be().ok_or_else(short)?).unwrap_or(0);
            lpcm_flags = b.u32_be().ok_or_else(short)?;
            b.skip(8).ok_or_else(short)?;
        }
        _ => {}
    }
    let mut out = SampleEntry {
        fourcc: entry.kind,
        codec: codec_for(entry.kind, lpcm_bits, lpcm_flags),
        sample_rate,
        channels,
    };
    let config_start = entry.body + b.pos() as u64;
    apply_config(src, &mut out, config_start, entry.end, 0)?;
    Ok(Some(out))
}

/// ffprobe's codec name for a sample entry code (`mp4a` is refined by `esds`).
fn codec_for(fourcc: [u8; 4], bits: u16, lpcm_flags: u32) -> Option<&'static str> {
    Some(match &fourcc {
        b"mp4a" => "aac",
        b"alac" => "alac",
        b"Opus" => "opus",
        b"fLaC" => "flac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b".mp3" => "mp3",
        b"samr" => "amr_nb",
        b"sawb" => "amr_wb",
        b"ulaw" => "pcm_mulaw",
        b"alaw" => "pcm_alaw",
        b"sowt" if bits == 8 => "pcm_s8",
        b"sowt" => "pcm_s16le",
        b"twos" if bits == 8 => "pcm_s8",
        b"twos" => "pcm_s16be",
        b"raw " | b"NONE" => "pcm_u8",
        b"in24" => "pcm_s24be",
        b"in32" => "pcm_s32be",
        b"fl32" => "pcm_f32be",
        b"fl64" => "pcm_f64be",
        b"ima4" => "adpcm_ima_qt",
        b"lpcm" => return lpcm_codec(bits, lpcm_flags),
        _ => return None,
    })
}

/// QuickTime `lpcm` by its format flags: bit 0 float, bit 1 big-endian.
fn lpcm_codec(bits: u16, flags: u32) -> Option<&'static str> {
    let float = flags & 1 != 0;
    let big = flags & 2 != 0;
    Some(match (float, big, bits) {
        (true, false, 32) => "pcm_f32le",
        (true, true, 32) => "pcm_f32be",
        (true, false, 64) => "pcm_f64le",
        (true, true, 64) => "pcm_f64be",
        (false, _, 8) => "pcm_s8",
        (false, false, 16) => "pcm_s16le",
        (false, true, 16) => "pcm_s16be",
        (false, false, 24) => "pcm_s24le",
        (false, true, 24) => "pcm_s24be",
        (false, false, 32) => "pcm_s32le",
        (false, true, 32) => "pcm_s32be",
        _ => return None,
    })
}

/// Applies the codec configuration boxes after the entry's fields (QuickTime nests them in a
/// `wave` box, hence the bounded recursion).
fn apply_config<R: Read + Seek>(
    src: &mut Source<R>,
    out: &mut SampleEntry,
    start: u64,
    end: u64,
    depth: u8,
) -> Result<(), ProbeError> {
    // A malformed configuration area is ignored: the entry's own fields still stand.
    let Ok(boxes) = children(src, start, end) else { return Ok(()) };
    for b in boxes {
        match &b.kind {
            b"esds" => apply_esds(out, &read_body(src, b, 4096)?),
            b"alac" => apply_alac(out, &read_body(src, b, 64)?),
            b"dOps" => apply_dops(out, &read_body(src, b, 64)?),
            b"wave" if depth == 0 => apply_config(src, out, b.body, b.end, 1)?,
            _ => {}
        }
    }
    Ok(())
}

/// `esds`: the object type refines `mp4a`, and an AAC AudioSpecificConfig gives rate and
/// channels.
fn apply_esds(out: &mut SampleEntry, body: &[u8]) {
    let Some((object_type, config)) = parse_esds(body) else { return };
    out.codec = match object_type {
        0x40 | 0x66..=0x68 => Some("aac"),
        0x69 | 0x6B => Some("mp3"),
        0xA5 => Some("ac3"),
        0xA6 => Some("eac3"),
        0xAD => Some("opus"),
        0xDD => Some("vorbis"),
        _ => out.codec,
    };
    if out.codec == Some("aac")
        && let Some((rate, channels)) = config.and_then(audio_specific_config)
    {
        out.sample_rate = rate;
        if channels > 0 {
            out.channels = channels;
        }
    }
}

/// The object type indication and decoder-specific info of an `esds` box.
fn parse_esds(body: &[u8]) -> Option<(u8, Option<&[u8]>)> {
    let mut b = Bytes::new(body);
    b.skip(4)?;
    let (tag, _) = descriptor(&mut b)?;
    if tag == 0x03 {
        b.skip(2)?;
        let flags = b.u8()?;
        if flags & 0x80 != 0 {
            b.skip(2)?;
        }
        if flags & 0x40 != 0 {
            let url_len = usize::from(b.u8()?);
            b.skip(url_len)?;
        }
        if flags & 0x20 != 0 {
            b.skip(2)?;
        }
        let (tag, _) = descriptor(&mut b)?;
        if tag != 0x04 {
            return None;
        }
    } else if tag != 0x04 {
        return None;
    }
    let object_type = b.u8()?;
    b.skip(12)?;
    let config = match descriptor(&mut b) {
        Some((0x05, len)) => b.take(len.min(b.remaining())),
        _ => None,
    };
    Some((object_type, config))
}

/// A descriptor's tag and length (7 bits a byte, at most 4 bytes).
fn descriptor(b: &mut Bytes<'_>) -> Option<(u8, usize)> {
    let tag = b.u8()?;
    let mut len = 0usize;
    for _ in 0..4 {
        let byte = b.u8()?;
        len = (len << 7) | usize::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            break;
        }
    }
    Some((tag, len))
}

/// Sample rate and channel configuration of an AAC AudioSpecificConfig (with the SBR rate for
/// HE-AAC, which ffprobe reports).
fn audio_specific_config(config: &[u8]) -> Option<(u32, u16)> {
    const RATES: [u32; 13] = [
        96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
        8_000, 7_350,
    ];
    fn read_rate(bits: &mut BitReader<'_>) -> Option<u32> {
        match bits.take(4)? {
            15 => bits.take(24),
            i => RATES.get(i as usize).copied(),
        }
    }
    let mut bits = BitReader { buf: config, pos: 0 };
    let mut object_type = bits.take(5)?;
    if object_type == 31 {
        object_type = 32 + bits.take(6)?;
    }
    let mut rate = read_rate(&mut bits)?;
    let mut channels = bits.take(4)? as u16;
    if object_type == 5 || object_type == 29 {
        rate = read_rate(&mut bits)?;
        if object_type == 29 && channels == 1 {
            channels = 2;
        }
    }
    (rate > 0).then_some((rate, channels))
}

/// MSB-first bits.
struct BitReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn take(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.buf.get(self.pos / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Some(v)
    }
}

/// The ALAC magic cookie: channels and sample rate.
fn apply_alac(out: &mut SampleEntry, body: &[u8]) {
    let mut b = Bytes::new(body);
    // Full box header (4), frame length (4), version, bit depth, pb, mb, kb.
    if b.skip(13).is_none() {
        return;
    }
    let channels = b.u8();
    let rate = b.skip(10).and_then(|()| b.u32_be());
    if let (Some(channels), Some(rate)) = (channels, rate)
        && channels > 0
        && rate > 0
    {
        out.channels = u16::from(channels);
        out.sample_rate = rate;
    }
}

/// Opus-in-MP4 `dOps`: the channel count; Opus always decodes at 48 kHz.
fn apply_dops(out: &mut SampleEntry, body: &[u8]) {
    if let Some(&channels) = body.get(1).filter(|&&c| c > 0) {
        out.channels = u16::from(channels);
        out.sample_rate = 48_000;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_specific_configs() {
        // AAC-LC, 44.1 kHz, mono.
        assert_eq!(audio_specific_config(&[0x12, 0x08]), Some((44_100, 1)));
        // AAC-LC, 48 kHz, stereo.
        assert_eq!(audio_specific_config(&[0x11, 0x90]), Some((48_000, 2)));
        // HE-AAC (SBR): 24 kHz core, 48 kHz output, stereo.
        assert_eq!(audio_specific_config(&[0x2B, 0x11, 0x88]), Some((48_000, 2)));
        assert_eq!(audio_specific_config(&[]), None);
    }

    #[test]
    fn esds_object_type_and_config() {
        let body = [
            0, 0, 0, 0, 0x03, 0x19, 0, 1, 0, 0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 1, 0xF4, 0, 0, 1,
            0xF4, 0, 0x05, 0x02, 0x12, 0x08, 0x06, 0x01, 0x02,
        ];
        assert_eq!(parse_esds(&body), Some((0x40, Some(&[0x12, 0x08][..]))));
    }
}
