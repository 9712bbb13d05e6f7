//! Format detection and media facts (REC-1, REC-2): what an uploaded file is, judged from its
//! bytes, and its duration, codec, rate, channels and bitrate, read from its headers in-process.
//!
//! Every parser reads only the headers it needs (plus the file's tail where the length lives
//! there, as in Ogg), so a one-hour file is probed in well under a millisecond of I/O (PERF-4);
//! the one exception is an MP3 with varying bitrate and no Xing/VBRI header, whose length is
//! nowhere but in its frame headers. Parsers trust no length they read: every read is capped,
//! every loop moves forward and is bounded, and a length that points past the end of the file is
//! reported as truncation ([`ProbeError::Corrupt`]), never followed.
//!
//! Work is linear in the bytes read, and counted against a [`ProbeBudget`] that grows with the
//! file's size (REL-6, PERF-11): backward searches try a bounded number of candidates and never
//! rescan what a later one covered, scans borrow the cache instead of copying windows, and
//! checksums of candidates that fail are capped. A file that would need more is refused
//! ([`ProbeError::TooMuchWork`]), and a probe whose budget is cancelled stops within
//! microseconds ([`ProbeError::Cancelled`]).

mod budget;
mod crc;
mod cursor;
mod flac;
mod mp3;
mod mp4;
mod ogg;
mod sniff;
mod source;
mod wav;
mod webm;

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

pub use budget::ProbeBudget;
pub use sniff::sniff;
use source::Source;

/// A container we accept (REC-1). The codec inside is in [`MediaFacts::codec`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Wav,
    Mp3,
    Ogg,
    Flac,
    M4a,
    Mp4,
    Mov,
    Webm,
}

impl Format {
    /// Every format, in a stable order (for docs, filters and tests).
    pub const ALL: [Format; 8] = [
        Format::Wav,
        Format::Mp3,
        Format::Ogg,
        Format::Flac,
        Format::M4a,
        Format::Mp4,
        Format::Mov,
        Format::Webm,
    ];

    /// The stable lowercase name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Wav => "wav",
            Format::Mp3 => "mp3",
            Format::Ogg => "ogg",
            Format::Flac => "flac",
            Format::M4a => "m4a",
            Format::Mp4 => "mp4",
            Format::Mov => "mov",
            Format::Webm => "webm",
        }
    }

    /// The `Content-Type` the recording is served with.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Wav => "audio/wav",
            Format::Mp3 => "audio/mpeg",
            Format::Ogg => "audio/ogg",
            Format::Flac => "audio/flac",
            Format::M4a => "audio/mp4",
            Format::Mp4 => "video/mp4",
            Format::Mov => "video/quicktime",
            Format::Webm => "audio/webm",
        }
    }

    /// The file extension storage keys get (never the client's file name).
    pub fn extension(self) -> &'static str {
        self.as_str()
    }

    /// Parses the name [`Format::as_str`] gives, ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        Format::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a recording is, read from its headers (REC-2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFacts {
    pub format: Format,
    /// ffprobe's `codec_name` for the audio stream: `pcm_s16le`, `pcm_mulaw`, `mp3`, `opus`, `aac`…
    pub codec: &'static str,
    /// Playing time of the audio, rounded to the nearest millisecond. Where the container records
    /// encoder delay and padding (MP3 LAME tag, Opus pre-skip in Ogg, WebM CodecDelay, MP4 edit
    /// list) they are left out: this is the length of what was recorded, not of the encoded
    /// frames, and can be a few tens of ms shorter than ffprobe's figure for MP3.
    pub duration_ms: u64,
    /// Exact sample frames per channel, where the container states them (WAV, FLAC, Ogg
    /// granules, MP3 Xing/Info with a LAME tag, MP4 sample tables); `None` where the length is
    /// only known to the millisecond or is computed from the bitrate.
    pub sample_count: Option<u64>,
    /// Samples per second (for Opus always 48000, the rate its timestamps count in).
    pub sample_rate: u32,
    pub channels: u16,
    /// Bits per second: the header's rate where the stream has a constant one (PCM WAV, CBR
    /// MP3), the audio bytes' average for VBR MP3 (tags left out), else the whole file's
    /// average, size × 8 / duration (ffprobe's format bit rate).
    pub bitrate: u32,
}

/// Why a file has no facts. The server answers `Unsupported` with 415, `Corrupt` and
/// `TooMuchWork` with 422, each with this message as the reason.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("the file is empty")]
    Empty,
    #[error("unsupported media: {0}")]
    Unsupported(String),
    #[error("corrupt or truncated media: {0}")]
    Corrupt(String),
    #[error("reading media: {0}")]
    Io(#[from] std::io::Error),
    /// The file needs more work to read than its size allows (see [`ProbeBudget`]): crafted,
    /// since real media of any format take a small fraction of it.
    #[error("the media needs more work to read than its size allows: {0}")]
    TooMuchWork(String),
    /// The budget was cancelled: nobody waits for the answer any more.
    #[error("probing was cancelled")]
    Cancelled,
}

/// Shorthand for a [`ProbeError::Corrupt`] with a formatted reason.
pub(crate) fn corrupt(reason: impl Into<String>) -> ProbeError {
    ProbeError::Corrupt(reason.into())
}

/// Shorthand for a [`ProbeError::Unsupported`] with a formatted reason.
pub(crate) fn unsupported(reason: impl Into<String>) -> ProbeError {
    ProbeError::Unsupported(reason.into())
}

/// The facts of a complete file of `size` bytes behind `reader`, its format judged from its
/// bytes, within the default [`ProbeBudget`].
pub fn probe<R: Read + Seek>(reader: R, size: u64) -> Result<MediaFacts, ProbeError> {
    probe_with(reader, size, &ProbeBudget::default())
}

/// [`probe`] within `budget`, which can also cancel it from another thread.
pub fn probe_with<R: Read + Seek>(
    reader: R,
    size: u64,
    budget: &ProbeBudget,
) -> Result<MediaFacts, ProbeError> {
    probe_measured(reader, size, budget).0
}

/// [`probe_with`], also giving the steps it took: for tests and benchmarks, which compare them
/// with [`ProbeBudget::allowed_steps`].
pub fn probe_measured<R: Read + Seek>(
    reader: R,
    size: u64,
    budget: &ProbeBudget,
) -> (Result<MediaFacts, ProbeError>, u64) {
    if size == 0 {
        return (Err(ProbeError::Empty), 0);
    }
    let mut src = Source::new(reader, size, budget.start(size));
    let facts = probe_source(&mut src);
    (facts, src.work().used())
}

fn probe_source<R: Read + Seek>(src: &mut Source<R>) -> Result<MediaFacts, ProbeError> {
    let format = sniff::detect(src)?;
    match format {
        Format::Wav => wav::probe(src),
        Format::Mp3 => mp3::probe(src),
        Format::Ogg => ogg::probe(src),
        Format::Flac => flac::probe(src),
        Format::M4a | Format::Mp4 | Format::Mov => mp4::probe(src, format),
        Format::Webm => webm::probe(src),
    }
}

/// [`probe`] on a file on disk.
pub fn probe_file(path: &Path) -> Result<MediaFacts, ProbeError> {
    probe_file_with(path, &ProbeBudget::default())
}

/// [`probe_with`] on a file on disk.
pub fn probe_file_with(path: &Path, budget: &ProbeBudget) -> Result<MediaFacts, ProbeError> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    probe_with(file, size, budget)
}

/// Milliseconds in `units` ticks of a clock running at `rate` per second, rounded to nearest.
pub(crate) fn ticks_to_ms(units: u64, rate: u64) -> u64 {
    if rate == 0 {
        return 0;
    }
    let ms = (u128::from(units) * 1000 + u128::from(rate) / 2) / u128::from(rate);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// `value` ticks of a `from` clock expressed in ticks of a `to` clock, rounded to nearest.
pub(crate) fn rescale(value: u64, from: u64, to: u64) -> u64 {
    if from == 0 {
        return 0;
    }
    let v = (u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// The file's average bitrate, size × 8 / duration (what ffprobe reports as the format's).
pub(crate) fn average_bitrate(bytes: u64, duration_ms: u64) -> u32 {
    if duration_ms == 0 {
        return 0;
    }
    let bps = u128::from(bytes) * 8000 / u128::from(duration_ms);
    u32::try_from(bps).unwrap_or(u32::MAX)
}

/// Longest media we accept as plausible: a week. A header claiming more is corrupt, not a
/// recording, and it would make nonsense of call durations.
pub const MAX_DURATION_MS: u64 = 7 * 24 * 3600 * 1000;

/// Rejects a duration no recording can have (see [`MAX_DURATION_MS`]).
pub(crate) fn check_duration(duration_ms: u64, what: &str) -> Result<u64, ProbeError> {
    if duration_ms > MAX_DURATION_MS {
        return Err(corrupt(format!("{what} gives an implausible duration of {duration_ms} ms")));
    }
    Ok(duration_ms)
}
