//! Whole files: each format's facts against ffprobe (or the source's true length where the
//! container records encoder delay and padding, see `Truth`), and how little of a long file a
//! probe reads.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use callbase_media::probe::{Format, MediaFacts, probe, probe_file, sniff};

use crate::corpus::{CORPUS, Count, Sample, Truth};
use crate::ffprobe::{Reference, ms, reference};

/// The most `duration_ms` may differ from the reference (REC-2).
const TOLERANCE_MS: i64 = 20;

/// Checks every sample of `format`, reporting all mismatches at once.
fn check_format(format: Format) {
    let samples: Vec<&Sample> = CORPUS.samples.iter().filter(|s| s.format == format).collect();
    assert!(!samples.is_empty(), "no {format} samples");
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            samples.iter().map(|s| scope.spawn(move || check_sample(s))).collect();
        handles.into_iter().filter_map(|h| h.join().expect("sample check thread").err()).collect()
    });
    assert!(
        failures.is_empty(),
        "{} {format} file(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_sample(s: &Sample) -> Result<(), String> {
    let facts = probe_file(&s.path).map_err(|e| format!("{}: probe failed: {e}", s.name))?;
    let want = reference(&s.path);
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    expect(facts.format == s.format, format!("format {} (expected {})", facts.format, s.format));
    expect(
        facts.codec == s.codec && facts.codec == want.codec,
        format!("codec {} (ffprobe {})", facts.codec, want.codec),
    );
    expect(
        facts.sample_rate == s.sample_rate && facts.sample_rate == want.sample_rate,
        format!("sample rate {} (ffprobe {})", facts.sample_rate, want.sample_rate),
    );
    expect(
        facts.channels == s.channels && facts.channels == want.channels,
        format!("channels {} (ffprobe {})", facts.channels, want.channels),
    );
    expect(facts.bitrate > 0, "bitrate 0".to_owned());
    let head = read_head(&s.path);
    expect(sniff(&head) == Some(s.format), format!("sniff gives {:?}", sniff(&head)));
    let (expected_ms, label) = expected_duration(s, &want);
    let diff = facts.duration_ms as i64 - expected_ms;
    expect(
        diff.abs() <= TOLERANCE_MS,
        format!("duration {} ms, {label} {expected_ms} ms", facts.duration_ms),
    );
    if let Err(e) = check_count(s, &want, &facts) {
        problems.push(e);
    }
    if problems.is_empty() { Ok(()) } else { Err(format!("{}: {}", s.name, problems.join("; "))) }
}

/// The duration to compare with, and what it is.
fn expected_duration(s: &Sample, want: &Reference) -> (i64, &'static str) {
    match s.truth {
        Truth::Ffprobe => (ms(want.duration.expect("ffprobe duration")), "ffprobe"),
        Truth::Content => {
            let source = reference(&CORPUS.file(s.source));
            (ms(source.duration.expect("source duration")), "source")
        }
        Truth::Packets => {
            let samples = want.packets.expect("packet count") * frame_samples(s.sample_rate);
            ((samples * 1000 / u64::from(s.sample_rate)) as i64, "packets × frame")
        }
    }
}

/// Samples per MPEG Layer III frame.
fn frame_samples(rate: u32) -> u64 {
    if rate >= 32_000 { 1152 } else { 576 }
}

fn check_count(s: &Sample, want: &Reference, facts: &MediaFacts) -> Result<(), String> {
    let got = facts.sample_count;
    let (expected, slack) = match s.count {
        Count::None => {
            return if got.is_none() {
                Ok(())
            } else {
                Err(format!("sample count {got:?}, expected none"))
            };
        }
        Count::DurationTs => (want.duration_ts.expect("duration_ts"), 0),
        Count::Content => {
            let source = reference(&CORPUS.file(s.source));
            let ts = source.duration_ts.expect("source duration_ts");
            if source.sample_rate == s.sample_rate {
                (ts, 0)
            } else {
                // Resampled: the resampler may round the length either way by a sample or two.
                (ts * u64::from(s.sample_rate) / u64::from(source.sample_rate), 2)
            }
        }
    };
    match got {
        Some(n) if n.abs_diff(expected) <= slack => Ok(()),
        _ => Err(format!("sample count {got:?}, expected {expected}")),
    }
}

fn read_head(path: &Path) -> Vec<u8> {
    let mut head = Vec::new();
    File::open(path).expect("open").take(64 * 1024).read_to_end(&mut head).expect("read");
    head
}

#[test]
fn wav_files_match_ffprobe() {
    check_format(Format::Wav);
}

#[test]
fn mp3_files_match_ffprobe_or_their_source() {
    check_format(Format::Mp3);
}

#[test]
fn ogg_files_match_ffprobe_or_their_source() {
    check_format(Format::Ogg);
}

#[test]
fn flac_files_match_ffprobe() {
    check_format(Format::Flac);
}

#[test]
fn m4a_files_match_ffprobe() {
    check_format(Format::M4a);
}

#[test]
fn mp4_files_with_and_without_video_match_ffprobe() {
    check_format(Format::Mp4);
}

#[test]
fn mov_files_match_ffprobe() {
    check_format(Format::Mov);
}

#[test]
fn webm_files_match_their_source() {
    check_format(Format::Webm);
}

/// A reader that counts the bytes it hands out.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// PERF-4: ten-minute files are probed from their headers (and a few samples of their frames),
/// not read whole.
#[test]
fn long_files_are_probed_without_reading_them() {
    for s in CORPUS.samples.iter().filter(|s| s.long) {
        let file = File::open(&s.path).expect("open");
        let size = file.metadata().expect("metadata").len();
        let mut reader = Counting { inner: file, read: 0 };
        let facts = probe(&mut reader, size).expect("probe");
        assert!(
            (599_900..=600_100).contains(&facts.duration_ms),
            "{}: {} ms",
            s.name,
            facts.duration_ms
        );
        assert!(reader.read < 1024 * 1024, "{}: read {} of {size} bytes", s.name, reader.read);
    }
}

/// Where the stream's bitrate is constant, it is the header's, not the file's average (which
/// tags would inflate).
#[test]
fn constant_bitrates_are_the_streams() {
    let expected = [
        ("cbr.mp3", 128_000),
        ("cbr_noxing.mp3", 96_000),
        ("tagged_cbr.mp3", 32_000),
        ("mulaw_sox.wav", 64_000),
        ("tone10.wav", 1_411_200),
    ];
    for (name, bitrate) in expected {
        let facts = probe_file(&CORPUS.file(name)).expect("probe");
        assert_eq!(facts.bitrate, bitrate, "{name}");
    }
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::parse(f.as_str()), Some(f));
        assert_eq!(Format::parse(&f.as_str().to_uppercase()), Some(f));
        assert_eq!(f.extension(), f.as_str());
        assert!(f.mime().contains('/'));
    }
    assert_eq!(Format::parse("avi"), None);
    assert_eq!(Format::Mp3.mime(), "audio/mpeg");
    assert_eq!(Format::Mov.mime(), "video/quicktime");
}
