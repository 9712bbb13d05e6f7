//! Which container a file is, judged from its first bytes (never its name), and a plain
//! description of what it is instead when it is none of ours (for the 415 reason).

use std::io::{Read, Seek};

use super::mp3::{frame, tags};
use super::source::Source;
use super::{Format, ProbeError, corrupt, unsupported};

/// How many leading bytes [`detect`] looks at after any ID3v2 tags.
const HEAD_LEN: usize = 64 * 1024;

/// ID3v2 tags stacked before the audio that we skip; more is not a real file.
const MAX_ID3_TAGS: usize = 8;

/// The format of a file whose first bytes are `head` (64 KiB is plenty; fewer work for every
/// format but an MP3 behind a large ID3v2 tag, which is then guessed from the tag alone).
pub fn sniff(head: &[u8]) -> Option<Format> {
    if let Some(format) = container(head) {
        return Some(format);
    }
    if foreign(head).is_some() {
        return None;
    }
    let mut at = 0usize;
    for _ in 0..MAX_ID3_TAGS {
        let Some(len) = head.get(at..).and_then(tags::id3v2_len) else { break };
        match usize::try_from(len).ok().and_then(|len| at.checked_add(len)) {
            Some(next) if next < head.len() => at = next,
            // The tag runs past what we were shown: ID3v2 fronts MP3 far more than anything else.
            _ => return Some(Format::Mp3),
        }
    }
    after_id3(head.get(at..)?, at > 0)
}

/// The format of bytes that follow any ID3v2 tags (`tagged` when there were some).
fn after_id3(rest: &[u8], tagged: bool) -> Option<Format> {
    if rest.starts_with(b"fLaC") {
        return Some(Format::Flac);
    }
    let found = frame::find_first(rest, 0, rest.len())?;
    // Junk before the first frame is tolerated only a little, and only after a tag.
    let slack = if tagged { HEAD_LEN } else { 4096 };
    (found <= slack).then_some(Format::Mp3)
}

/// Formats recognised by a signature at a fixed place.
fn container(head: &[u8]) -> Option<Format> {
    let at = |range: std::ops::Range<usize>| head.get(range).unwrap_or(&[]);
    let riff = matches!(at(0..4), b"RIFF" | b"RF64" | b"BW64");
    if riff && at(8..12) == b"WAVE" {
        return Some(Format::Wav);
    }
    if at(0..4) == b"fLaC" {
        return Some(Format::Flac);
    }
    if at(0..4) == b"OggS" {
        return Some(Format::Ogg);
    }
    if at(0..4) == [0x1A, 0x45, 0xDF, 0xA3] {
        return Some(Format::Webm);
    }
    if at(4..8) == b"ftyp" {
        return Some(iso_brand(head));
    }
    quicktime_without_ftyp(head).then_some(Format::Mov)
}

/// M4A or MOV by the ftyp's major brand, else by a compatible brand; MP4 otherwise.
fn iso_brand(head: &[u8]) -> Format {
    let size = head.get(0..4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let end = usize::try_from(size).unwrap_or(0).clamp(16, 256).min(head.len());
    let brand_of = |b: &[u8]| match b {
        b"M4A " | b"M4B " | b"M4P " => Some(Format::M4a),
        b"qt  " => Some(Format::Mov),
        _ => None,
    };
    if let Some(format) = head.get(8..12).and_then(brand_of) {
        return format;
    }
    let compatible = head.get(16..end).unwrap_or(&[]);
    compatible.chunks_exact(4).find_map(brand_of).unwrap_or(Format::Mp4)
}

/// Old QuickTime files have no ftyp and open with one of these atoms.
fn quicktime_without_ftyp(head: &[u8]) -> bool {
    let size = head.get(0..4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let kind = head.get(4..8).unwrap_or(&[]);
    let known = matches!(kind, b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot");
    // A size of 0 (to the end) or 1 (64-bit size follows) is legal; else it must hold a header.
    known && (size <= 1 || size >= 8)
}

/// Detects the format of the whole file, reading past ID3v2 tags however large they are.
pub(crate) fn detect<R: Read + Seek>(src: &mut Source<R>) -> Result<Format, ProbeError> {
    let head = src.read_at(0, HEAD_LEN)?;
    if head.is_empty() {
        return Err(ProbeError::Empty);
    }
    if let Some(format) = container(&head) {
        return Ok(format);
    }
    if foreign(&head).is_some() {
        return Err(unsupported(describe_unknown(&head)));
    }
    let audio_start = tags::skip_id3v2(src, 0)?;
    if audio_start > 0 && audio_start >= src.size() {
        return Err(corrupt(format!(
            "truncated: the ID3v2 tag declares {audio_start} bytes, the file has {}",
            src.size()
        )));
    }
    let rest = if audio_start == 0 { head.clone() } else { src.read_at(audio_start, HEAD_LEN)? };
    src.work().scanned(rest.len())?;
    after_id3(&rest, audio_start > 0).ok_or_else(|| unsupported(describe_unknown(&head)))
}

/// What a file we do not accept seems to be, for the error message.
pub(crate) fn describe_unknown(head: &[u8]) -> String {
    let what = foreign(head).unwrap_or(if looks_like_text(head) {
        "text, not audio"
    } else {
        "unrecognised bytes"
    });
    format!("{what}; accepted formats are WAV, MP3, OGG (Vorbis, Opus), FLAC, M4A/MP4/MOV and WebM")
}

/// A known format that is not ours, by its signature. Such a file is never searched for MPEG
/// frames: an AVI or a ZIP may well hold an MP3, but we store recordings, not containers of them.
fn foreign(head: &[u8]) -> Option<&'static str> {
    let starts = |sig: &[u8]| head.starts_with(sig);
    Some(if starts(b"\x89PNG") {
        "a PNG image"
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        "a JPEG image"
    } else if starts(b"GIF8") {
        "a GIF image"
    } else if starts(b"%PDF") {
        "a PDF document"
    } else if starts(b"PK\x03\x04") {
        "a ZIP archive"
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"AVI ") {
        "an AVI container"
    } else if starts(b"RIFF") {
        "a RIFF file that is not WAVE"
    } else if starts(b"#!AMR") {
        "AMR audio"
    } else if starts(b"FORM") {
        "an IFF/AIFF file"
    } else if starts(b".snd") {
        "Sun/NeXT audio"
    } else {
        return None;
    })
}

/// UTF-8 without control characters other than whitespace.
fn looks_like_text(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(4096)];
    let valid = match std::str::from_utf8(sample) {
        Ok(s) => s,
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !valid.is_empty() && valid.chars().all(|c| !c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_signatures() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(Format::Wav));
        assert_eq!(sniff(b"RF64\xff\xff\xff\xffWAVEds64"), Some(Format::Wav));
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), None);
        assert_eq!(sniff(b"fLaC\0\0\0\x22"), Some(Format::Flac));
        assert_eq!(sniff(b"OggS\0\x02"), Some(Format::Ogg));
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]), Some(Format::Webm));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0\x02\0qt  "), Some(Format::Mov));
        assert_eq!(sniff(b"\0\0\0\x1cftypM4A \0\0\x02\0M4A isomiso2"), Some(Format::M4a));
        assert_eq!(sniff(b"\0\0\0\x1cftypisom\0\0\x02\0isomiso2avc1"), Some(Format::Mp4));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42M4A "), Some(Format::M4a));
        assert_eq!(sniff(b"\0\0\0\x08wide\0\0\x10\0mdat"), Some(Format::Mov));
    }

    #[test]
    fn mp3_needs_a_chain_of_frames() {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames.
        let mut frames = Vec::new();
        for _ in 0..4 {
            frames.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
            frames.resize(frames.len() + 413, 0);
        }
        assert_eq!(sniff(&frames), Some(Format::Mp3));
        let mut lone = frames[..417].to_vec();
        lone.extend_from_slice(b"not another frame");
        assert_eq!(sniff(&lone), None);
        let mut tagged = b"ID3\x04\0\0\0\0\0\x05hello".to_vec();
        tagged.extend_from_slice(&frames);
        assert_eq!(sniff(&tagged), Some(Format::Mp3));
    }

    #[test]
    fn text_and_images_are_described() {
        assert_eq!(sniff(b"hello, this is not audio\n"), None);
        assert!(describe_unknown(b"hello\n").starts_with("text"));
        assert!(describe_unknown(b"\x89PNG\r\n\x1a\n").starts_with("a PNG"));
        assert!(describe_unknown(b"RIFF\0\0\0\0AVI ").starts_with("an AVI"));
        assert!(describe_unknown(&[0, 1, 2, 0xfe]).starts_with("unrecognised"));
    }
}
