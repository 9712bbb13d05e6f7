//! EBML, the binary layout under Matroska and WebM: element ids and variable-length sizes
//! (all ones meaning "unknown", as live writers leave them), and typed element values.

use std::io::{Read, Seek};

use super::super::ProbeError;
use super::super::cursor::Bytes;
use super::super::source::Source;

pub(super) const EBML: u32 = 0x1A45_DFA3;
pub(super) const DOC_TYPE: u32 = 0x4282;
pub(super) const SEGMENT: u32 = 0x1853_8067;
pub(super) const INFO: u32 = 0x1549_A966;
pub(super) const TIMECODE_SCALE: u32 = 0x2A_D7B1;
pub(super) const DURATION: u32 = 0x4489;
pub(super) const TRACKS: u32 = 0x1654_AE6B;
pub(super) const TRACK_ENTRY: u32 = 0xAE;
pub(super) const TRACK_NUMBER: u32 = 0xD7;
pub(super) const TRACK_TYPE: u32 = 0x83;
pub(super) const CODEC_ID: u32 = 0x86;
pub(super) const DEFAULT_DURATION: u32 = 0x23_E383;
pub(super) const AUDIO: u32 = 0xE1;
pub(super) const SAMPLING_FREQUENCY: u32 = 0xB5;
pub(super) const CHANNELS: u32 = 0x9F;
pub(super) const CLUSTER: u32 = 0x1F43_B675;
pub(super) const TIMECODE: u32 = 0xE7;
pub(super) const SIMPLE_BLOCK: u32 = 0xA3;
pub(super) const BLOCK_GROUP: u32 = 0xA0;
pub(super) const BLOCK: u32 = 0xA1;
pub(super) const BLOCK_DURATION: u32 = 0x9B;
pub(super) const CODEC_DELAY: u32 = 0x56AA;
pub(super) const DISCARD_PADDING: u32 = 0x75A2;

/// An element's id and extent; `end` is `None` for an unknown size.
#[derive(Clone, Copy, Debug)]
pub(super) struct Element {
    pub(super) id: u32,
    pub(super) body: u64,
    pub(super) size: Option<u64>,
}

/// The element header at `pos` in the file.
pub(super) fn element_at<R: Read + Seek>(
    src: &mut Source<R>,
    pos: u64,
) -> Result<Option<Element>, ProbeError> {
    let raw = src.read_at(pos, 12)?;
    let mut b = Bytes::new(&raw);
    Ok(header(&mut b).map(|(id, size)| Element { id, body: pos + b.pos() as u64, size }))
}

/// An element's body, at most `cap` bytes (unknown sizes read nothing).
pub(super) fn read_body<R: Read + Seek>(
    src: &mut Source<R>,
    e: Element,
    cap: u64,
) -> Result<Vec<u8>, ProbeError> {
    let len = e.size.unwrap_or(0).min(cap);
    src.read_at(e.body, usize::try_from(len).unwrap_or(0))
}

/// An element id (marker bits kept) and size (`None`: unknown).
pub(super) fn header(b: &mut Bytes<'_>) -> Option<(u32, Option<u64>)> {
    let first = *b.clone().take(1)?.first()?;
    let id_len = first.leading_zeros() as usize + 1;
    if id_len > 4 {
        return None;
    }
    let id = b.take(id_len)?.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x));
    let size = vint_raw(b)?;
    Some((id, size))
}

/// A size or number: a variable-length integer with its marker bit removed; all ones in a size
/// means unknown.
pub(super) fn vint_raw(b: &mut Bytes<'_>) -> Option<Option<u64>> {
    let first = *b.clone().take(1)?.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let bytes = b.take(len)?;
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let value =
        bytes[1..].iter().fold(u64::from(bytes[0] & mask), |acc, &x| (acc << 8) | u64::from(x));
    let all_ones = (1u64 << (7 * len)) - 1;
    Some(if value == all_ones { None } else { Some(value) })
}

/// The (id, body) children of a master element's body; stops at the first malformed one.
pub(super) fn children_of(body: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let mut b = Bytes::new(body);
    std::iter::from_fn(move || {
        let (id, size) = header(&mut b)?;
        let value = b.take(usize::try_from(size?).ok()?)?;
        Some((id, value))
    })
}

pub(super) fn uint(value: &[u8]) -> Option<u64> {
    (value.len() <= 8).then(|| value.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

pub(super) fn float(value: &[u8]) -> Option<f64> {
    match value.len() {
        4 => Some(f64::from(f32::from_be_bytes(value.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(value.try_into().ok()?)),
        _ => None,
    }
}

pub(super) fn trim_string(value: &[u8]) -> String {
    String::from_utf8_lossy(value).trim_end_matches('\0').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_headers() {
        let mut b = Bytes::new(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]);
        assert_eq!(header(&mut b), Some((EBML, Some(31))));
        let mut b =
            Bytes::new(&[0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(header(&mut b), Some((SEGMENT, None)));
        let mut b = Bytes::new(&[0x42, 0x82, 0x40, 0x02]);
        assert_eq!(header(&mut b), Some((DOC_TYPE, Some(2))));
        assert_eq!(header(&mut Bytes::new(&[0x00, 0x81])), None);
    }
}
