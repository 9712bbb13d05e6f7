//! Files we must refuse, with the right kind of error: empty (nothing to store), foreign
//! (415: text, images, AVI, video without audio) and truncated or corrupt (422 with a reason).

use std::io::Cursor;

use callbase_media::probe::{MAX_DURATION_MS, MediaFacts, ProbeError, probe, probe_file};

use crate::corpus::{CORPUS, Sample};

fn probe_bytes(bytes: &[u8]) -> Result<MediaFacts, ProbeError> {
    probe(Cursor::new(bytes), bytes.len() as u64)
}

fn read(s: &Sample) -> Vec<u8> {
    std::fs::read(&s.path).expect("read sample")
}

fn short_samples() -> impl Iterator<Item = &'static Sample> {
    CORPUS.samples.iter().filter(|s| !s.long)
}

#[test]
fn zero_bytes_are_empty() {
    assert!(matches!(probe_bytes(&[]), Err(ProbeError::Empty)));
    let path = CORPUS.dir.join("empty.wav");
    std::fs::write(&path, b"").expect("write");
    assert!(matches!(probe_file(&path), Err(ProbeError::Empty)));
}

#[test]
fn a_text_file_named_mp3_is_unsupported() {
    let path = CORPUS.dir.join("notes.mp3");
    std::fs::write(&path, "Call back Mrs. Jones about the invoice.\nShe prefers mornings.\n")
        .expect("write");
    match probe_file(&path) {
        Err(ProbeError::Unsupported(reason)) => assert!(reason.starts_with("text"), "{reason}"),
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn foreign_containers_are_unsupported() {
    for (name, what) in [("picture.png", "PNG"), ("clip.avi", "AVI")] {
        match probe_file(&CORPUS.file(name)) {
            Err(ProbeError::Unsupported(reason)) => {
                assert!(reason.contains(what), "{name}: {reason}")
            }
            other => panic!("{name}: expected Unsupported, got {other:?}"),
        }
    }
}

#[test]
fn video_without_audio_is_unsupported() {
    for name in ["video_only.mp4", "video_only.webm"] {
        match probe_file(&CORPUS.file(name)) {
            Err(ProbeError::Unsupported(reason)) => {
                assert!(reason.contains("audio") || reason.contains("Opus"), "{name}: {reason}")
            }
            other => panic!("{name}: expected Unsupported, got {other:?}"),
        }
    }
}

/// Files whose header says "to the end of the file" (a WAV written to a pipe): a cut cannot be
/// told from a shorter recording, so the facts are those of what remains.
const UNDECLARED_LENGTH: &[&str] = &["streamed.wav"];

/// Every format detects a cut: at a tenth, half, near the end and one byte short, each file is
/// `Corrupt` with a reason, unless the cut took nothing but padding or tags (a WAV's odd data
/// chunk loses its pad byte, an MP3 its ID3v1 tag), when the facts are the whole file's.
#[test]
fn truncated_files_are_corrupt() {
    let mut wrong = Vec::new();
    for s in short_samples() {
        let bytes = read(s);
        let whole = probe_bytes(&bytes).expect("the whole file probes");
        let len = bytes.len();
        for cut in [len / 10, len / 2, len * 99 / 100, len - 1] {
            match probe_bytes(&bytes[..cut]) {
                Err(ProbeError::Corrupt(reason)) => assert!(!reason.is_empty()),
                Ok(facts) if facts == whole => {}
                Ok(facts)
                    if UNDECLARED_LENGTH.contains(&s.name)
                        && facts.duration_ms <= whole.duration_ms => {}
                other => wrong.push(format!("{} cut to {cut} of {len}: {other:?}", s.name)),
            }
        }
    }
    assert!(wrong.is_empty(), "truncation not detected:\n{}", wrong.join("\n"));
}

/// Flipping any single byte of a file's first 512 never panics and never gives facts outside
/// what a recording can be; where the flip lands in a length or rate field it is often
/// `Corrupt`.
#[test]
fn flipped_header_bytes_never_give_nonsense() {
    for s in short_samples() {
        let bytes = read(s);
        for at in 0..bytes.len().min(512) {
            let mut copy = bytes.clone();
            copy[at] ^= 0xFF;
            if let Ok(facts) = probe_bytes(&copy) {
                assert_plausible(&facts, &format!("{} flipped at {at}", s.name));
            }
        }
    }
}

pub fn assert_plausible(facts: &MediaFacts, what: &str) {
    assert!(facts.duration_ms <= MAX_DURATION_MS, "{what}: {facts:?}");
    assert!(facts.sample_rate > 0 && facts.channels > 0, "{what}: {facts:?}");
}

/// Targeted damage with the reason the server passes on.
#[test]
fn damaged_headers_say_what_is_wrong() {
    let wav = std::fs::read(CORPUS.file("speech.wav")).expect("read");
    let mut huge = wav.clone();
    let data = huge.windows(4).position(|w| w == b"data").expect("data chunk");
    huge[data + 4..data + 8].copy_from_slice(&1_000_000_000u32.to_le_bytes());
    assert_corrupt(&huge, "data chunk declares 1000000000 bytes");

    let mut no_rate = wav;
    no_rate[24..28].copy_from_slice(&[0; 4]);
    assert_corrupt(&no_rate, "0 Hz");

    let flac = std::fs::read(CORPUS.file("tone.flac")).expect("read");
    let mut bad_frames = flac;
    let n = bad_frames.len();
    bad_frames[n - 10] ^= 0x55;
    assert_corrupt(&bad_frames, "CRC");

    let ogg = std::fs::read(CORPUS.file("tone_vorbis.ogg")).expect("read");
    let mut bad_page = ogg;
    let n = bad_page.len();
    bad_page[n - 3] ^= 0x55;
    assert_corrupt(&bad_page, "CRC");

    let mp4 = std::fs::read(CORPUS.file("audio_faststart.mp4")).expect("read");
    let mut bad_box = mp4;
    let moov = bad_box.windows(4).position(|w| w == b"moov").expect("moov");
    bad_box[moov - 4..moov].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    assert_corrupt(&bad_box, "'moov'");
}

fn assert_corrupt(bytes: &[u8], needle: &str) {
    match probe_bytes(bytes) {
        Err(ProbeError::Corrupt(reason)) => {
            assert!(reason.contains(needle), "reason {reason:?} lacks {needle:?}")
        }
        other => panic!("expected Corrupt mentioning {needle:?}, got {other:?}"),
    }
}
