//! What surrounds and heads MPEG audio: ID3v2 tags before it, ID3v1/APEv2/Lyrics3 tags after
//! it, and the Xing/Info (with LAME's gapless fields) or VBRI header in its first frame.

use std::io::{Read, Seek};

use super::super::ProbeError;
use super::super::cursor::Bytes;
use super::super::source::Source;
use super::frame::FrameHeader;

/// The whole length of the ID3v2 tag at the start of `buf` (header, body and footer), if there
/// is one. Sizes are syncsafe (7 bits a byte); a byte with its top bit set is no ID3 tag.
pub(crate) fn id3v2_len(buf: &[u8]) -> Option<u64> {
    let h = buf.get(0..10)?;
    if &h[0..3] != b"ID3" || h[3] == 0xFF || h[4] == 0xFF || h[6..10].iter().any(|b| b & 0x80 != 0)
    {
        return None;
    }
    let body = h[6..10].iter().fold(0u64, |acc, &b| (acc << 7) | u64::from(b));
    let footer = if h[3] >= 4 && h[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + body + footer)
}

/// The offset after the ID3v2 tags that start at `from` (several may be stacked).
pub(crate) fn skip_id3v2<R: Read + Seek>(
    src: &mut Source<R>,
    from: u64,
) -> Result<u64, ProbeError> {
    let mut at = from;
    for _ in 0..8 {
        match src.array_at::<10>(at)?.and_then(|h| id3v2_len(&h)) {
            Some(len) => at = at.saturating_add(len),
            None => break,
        }
    }
    Ok(at)
}

/// The end of the audio: the file's end less any ID3v1, APEv2 and Lyrics3v2 tags there.
pub(crate) fn audio_end<R: Read + Seek>(
    src: &mut Source<R>,
    start: u64,
) -> Result<u64, ProbeError> {
    let mut end = src.size();
    // Each tag kind at most once, in whatever order the taggers stacked them.
    for _ in 0..3 {
        let before = end;
        end = strip_tag(src, start, end)?;
        if end == before {
            break;
        }
    }
    Ok(end)
}

/// `end` less one trailing tag found just before it, if any.
fn strip_tag<R: Read + Seek>(src: &mut Source<R>, start: u64, end: u64) -> Result<u64, ProbeError> {
    if end >= start + 128 && src.read_at(end - 128, 3)? == b"TAG" {
        return Ok(end - 128);
    }
    if end >= start + 32 {
        let footer = src.read_at(end - 32, 32)?;
        let mut b = Bytes::new(&footer);
        if b.take(8) == Some(b"APETAGEX") {
            let _version = b.u32_le();
            let size = u64::from(b.u32_le().unwrap_or(0));
            let _items = b.u32_le();
            let flags = b.u32_le().unwrap_or(0);
            let total = size + if flags & 0x8000_0000 != 0 { 32 } else { 0 };
            if total >= 32 && total <= end - start {
                return Ok(end - total);
            }
        }
    }
    if end >= start + 15 && src.read_at(end - 9, 9)? == b"LYRICS200" {
        let digits = src.read_at(end - 15, 6)?;
        let size = std::str::from_utf8(&digits).ok().and_then(|s| s.parse::<u64>().ok());
        if let Some(size) = size.filter(|&s| s + 15 <= end - start) {
            return Ok(end - 15 - size);
        }
    }
    Ok(end)
}

/// What the first frame's Xing/Info or VBRI header states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct VbrHeader {
    /// Audio frames after the header frame.
    pub(crate) frames: Option<u32>,
    /// Bytes of audio, the header frame included.
    pub(crate) bytes: Option<u32>,
    /// LAME's encoder delay and padding, in samples.
    pub(crate) delay: u32,
    pub(crate) padding: u32,
    /// An "Info" header: LAME's mark for a constant-bitrate stream.
    pub(crate) cbr: bool,
}

/// The Xing/Info or VBRI header in `frame` (the first frame's bytes), if it has one.
pub(crate) fn vbr_header(frame: &[u8], hdr: &FrameHeader) -> Option<VbrHeader> {
    let nominal = 4 + hdr.side_info_len();
    let mut offsets = vec![nominal];
    if hdr.protected {
        offsets.push(nominal + 2);
    }
    offsets.into_iter().find_map(|at| xing(frame.get(at..)?)).or_else(|| vbri(frame.get(36..)?))
}

/// A Xing ("Xing" or "Info") header and the LAME tag that may follow it.
fn xing(buf: &[u8]) -> Option<VbrHeader> {
    let mut b = Bytes::new(buf);
    let cbr = match b.take(4)? {
        b"Xing" => false,
        b"Info" => true,
        _ => return None,
    };
    let flags = b.u32_be()?;
    let mut out = VbrHeader { cbr, ..VbrHeader::default() };
    if flags & 1 != 0 {
        out.frames = Some(b.u32_be()?);
    }
    if flags & 2 != 0 {
        out.bytes = Some(b.u32_be()?);
    }
    if flags & 4 != 0 {
        b.skip(100)?;
    }
    if flags & 8 != 0 {
        b.skip(4)?;
    }
    if let Some((delay, padding)) = lame_gapless(b.take(36).unwrap_or(&[])) {
        out.delay = delay;
        out.padding = padding;
    }
    Some(out)
}

/// Encoder delay and padding from a LAME tag (also written by ffmpeg as "Lavf"/"Lavc").
fn lame_gapless(tag: &[u8]) -> Option<(u32, u32)> {
    let encoder = tag.get(0..4)?;
    if !matches!(encoder, b"LAME" | b"Lavf" | b"Lavc" | b"L3.9") {
        return None;
    }
    let f = tag.get(21..24)?;
    let v = u32::from_be_bytes([0, f[0], f[1], f[2]]);
    Some((v >> 12, v & 0xFFF))
}

/// A Fraunhofer VBRI header, 32 bytes after the frame header.
fn vbri(buf: &[u8]) -> Option<VbrHeader> {
    let mut b = Bytes::new(buf);
    if b.take(4)? != b"VBRI" {
        return None;
    }
    let _version = b.u16_be()?;
    let _delay = b.u16_be()?;
    let _quality = b.u16_be()?;
    let bytes = b.u32_be()?;
    let frames = b.u32_be()?;
    Some(VbrHeader { frames: Some(frames), bytes: Some(bytes), ..VbrHeader::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id3v2_sizes_are_syncsafe_and_count_the_footer() {
        assert_eq!(id3v2_len(b"ID3\x03\0\0\0\0\x02\x01"), Some(10 + 257));
        assert_eq!(id3v2_len(b"ID3\x04\0\x10\0\0\0\x05"), Some(25));
        assert_eq!(id3v2_len(b"ID3\x03\0\0\0\0\x80\x01"), None);
        assert_eq!(id3v2_len(b"ID3\x03"), None);
    }

    #[test]
    fn lame_tag_gives_delay_and_padding() {
        let mut tag = b"LAME3.100".to_vec();
        tag.resize(21, 0);
        tag.extend_from_slice(&[0x24, 0x03, 0x18]);
        assert_eq!(lame_gapless(&tag), Some((576, 792)));
        assert_eq!(lame_gapless(b"junk"), None);
    }
}
