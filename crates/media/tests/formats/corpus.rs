//! The corpus: real audio generated once per test process with espeak-ng, sox and ffmpeg, in
//! parallel, into a directory under the target dir. The tools are required, not optional: the
//! test script installs them, and a missing one fails the tests with the command to run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{LazyLock, Mutex};

use callbase_media::probe::Format;

/// What `duration_ms` is compared with (within 20 ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// ffprobe's audio stream duration (its format duration when the stream has none).
    Ffprobe,
    /// The length of the source the file was encoded from: for formats that record encoder
    /// delay and padding (LAME tag, Opus pre-skip, WebM CodecDelay), which we take off.
    Content,
    /// ffprobe's packet count × samples per frame: MP3 without a Xing header and with varying
    /// bitrate, where ffprobe itself only guesses from the first frame's bitrate.
    Packets,
}

/// What `sample_count` must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// ffprobe's `duration_ts` of the audio stream (its time base is 1/rate for these).
    DurationTs,
    /// The source's sample count (at this file's rate).
    Content,
    /// Not stated by the container (the length is computed or known to the millisecond).
    None,
}

/// One generated file and what we expect of it.
#[derive(Clone, Debug)]
pub struct Sample {
    pub name: &'static str,
    pub path: PathBuf,
    pub format: Format,
    pub codec: &'static str,
    pub sample_rate: u32,
    pub channels: u16,
    pub truth: Truth,
    pub count: Count,
    /// The source file (for `Truth::Content`).
    pub source: &'static str,
    /// Long files are left out of the truncation and mutation tests to keep them quick.
    pub long: bool,
}

/// The generated corpus: sources, samples and non-audio files.
pub struct Corpus {
    pub dir: PathBuf,
    pub samples: Vec<Sample>,
}

impl Corpus {
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

pub static CORPUS: LazyLock<Corpus> = LazyLock::new(generate);

/// A file to make: its name and the command that makes it.
struct Job {
    name: &'static str,
    program: &'static str,
    args: Vec<String>,
}

const SPEECH: &str = "Thank you for calling callbase support. This call may be recorded for \
    quality and training purposes. Please hold while we connect you to the next available agent.";

/// Sources: speech, tones and noise of 0.5 s to 10 min.
fn sources() -> Vec<Job> {
    vec![
        job("speech.wav", "espeak-ng", &["-w", "{out}", SPEECH]),
        ffmpeg(
            "tone10.wav",
            "-f lavfi -i sine=frequency=440:sample_rate=44100:duration=10 -af pan=stereo|c0=c0|c1=c0 -c:a pcm_s16le",
        ),
        ffmpeg(
            "half.wav",
            "-f lavfi -i sine=frequency=1000:sample_rate=48000:duration=0.5 -c:a pcm_s16le",
        ),
        // A fixed seed: the same noise every run, so where a test cuts a VBR file (which
        // declares no length, and cut at a frame boundary is just a shorter file) is stable.
        ffmpeg(
            "noise.wav",
            "-f lavfi -i anoisesrc=color=pink:sample_rate=16000:duration=6:amplitude=0.3:seed=7 -c:a pcm_s16le",
        ),
        job(
            "long.wav",
            "sox",
            &[
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                "-b",
                "16",
                "{out}",
                "synth",
                "600",
                "sine",
                "300-3000",
                "brownnoise",
                "vol",
                "0.5",
            ],
        ),
    ]
}

/// Encodings of the sources.
fn encodings() -> Vec<Job> {
    vec![
        // WAV as telephony systems and tools write it.
        ffmpeg("mulaw_ffmpeg.wav", "-i {speech} -ar 8000 -ac 1 -c:a pcm_mulaw"),
        job("mulaw_sox.wav", "sox", &["{speech}", "-r", "8000", "-c", "1", "-e", "u-law", "{out}"]),
        job("alaw_sox.wav", "sox", &["{speech}", "-r", "8000", "-c", "1", "-e", "a-law", "{out}"]),
        ffmpeg("alaw_ffmpeg.wav", "-i {noise} -ar 8000 -c:a pcm_alaw"),
        ffmpeg("u8.wav", "-i {speech} -ar 11025 -c:a pcm_u8"),
        ffmpeg("s24_extensible.wav", "-i {tone10} -c:a pcm_s24le"),
        ffmpeg("rf64.wav", "-i {half} -rf64 always -c:a pcm_s16le"),
        ffmpeg("streamed.wav", "-i {speech} -f wav pipe:1"),
        job("long_mulaw.wav", "sox", &["{long}", "-r", "8000", "-e", "u-law", "{out}"]),
        // MP3: CBR with an Info tag, VBR with Xing, both without, MPEG-2 and -2.5, Layer II.
        ffmpeg("cbr.mp3", "-i {tone10} -c:a libmp3lame -b:a 128k"),
        ffmpeg("vbr_xing.mp3", "-i {speech} -c:a libmp3lame -q:a 4"),
        ffmpeg("vbr_noxing.mp3", "-i {noise} -c:a libmp3lame -q:a 2 -write_xing 0"),
        ffmpeg("cbr_noxing.mp3", "-i {tone10} -c:a libmp3lame -b:a 96k -write_xing 0"),
        ffmpeg("mpeg25_8k.mp3", "-i {speech} -ar 8000 -c:a libmp3lame -b:a 16k"),
        ffmpeg("half.mp3", "-i {half} -c:a libmp3lame -b:a 64k"),
        // A 100 KB comment makes the ID3v2 tag larger than the 64 KiB sniffed head; the Info
        // frame of a 32 kbit/s stream at 22.05 kHz is a larger frame than the rest.
        ffmpeg(
            "tagged_cbr.mp3",
            "-i {speech} -c:a libmp3lame -b:a 32k -write_id3v1 1 -metadata comment={comment}",
        ),
        ffmpeg("layer2.mp2", "-i {tone10} -c:a mp2 -b:a 192k -f mp2"),
        ffmpeg("long_cbr.mp3", "-i {long} -c:a libmp3lame -b:a 32k -write_xing 0"),
        // Ogg.
        ffmpeg("speech_vorbis.ogg", "-i {speech} -c:a libvorbis -q:a 3"),
        ffmpeg("tone_vorbis.ogg", "-i {tone10} -c:a libvorbis"),
        ffmpeg("speech_opus.ogg", "-i {speech} -c:a libopus -b:a 24k"),
        ffmpeg("tone_opus.ogg", "-i {tone10} -c:a libopus"),
        ffmpeg("half_opus.ogg", "-i {half} -c:a libopus"),
        ffmpeg("flac_in.ogg", "-i {speech} -c:a flac -f ogg"),
        // FLAC, also streamed (STREAMINFO without a sample count).
        ffmpeg("tone.flac", "-i {tone10} -c:a flac"),
        ffmpeg("speech.flac", "-i {speech} -c:a flac"),
        ffmpeg("streamed.flac", "-i {noise} -c:a flac -f flac pipe:1"),
        // ISO-BMFF.
        ffmpeg("speech.m4a", "-i {speech} -c:a aac -b:a 48k"),
        ffmpeg("tone.m4a", "-i {tone10} -c:a aac"),
        ffmpeg("alac.m4a", "-i {speech} -c:a alac"),
        ffmpeg("audio.mp4", "-i {noise} -c:a aac"),
        ffmpeg("audio_faststart.mp4", "-i {noise} -c:a aac -movflags +faststart"),
        ffmpeg(
            "av.mp4",
            "-f lavfi -i testsrc=size=160x120:rate=10:duration=6 -i {noise} -c:v libx264 -preset ultrafast -c:a aac -shortest",
        ),
        ffmpeg(
            "av_faststart.mp4",
            "-f lavfi -i testsrc=size=160x120:rate=10:duration=6 -i {noise} -c:v libx264 -preset ultrafast -c:a aac -movflags +faststart",
        ),
        ffmpeg(
            "av.mov",
            "-f lavfi -i testsrc=size=160x120:rate=10:duration=4 -i {speech} -c:v libx264 -preset ultrafast -c:a aac -t 4",
        ),
        ffmpeg("pcm.mov", "-i {speech} -c:a pcm_s16le -f mov"),
        ffmpeg("fragmented.m4a", "-i {speech} -c:a aac -movflags frag_keyframe+empty_moov"),
        // WebM, also written live to a pipe (no Duration, unknown sizes).
        ffmpeg("speech_opus.webm", "-i {speech} -c:a libopus -b:a 32k"),
        ffmpeg("tone_vorbis.webm", "-i {tone10} -c:a libvorbis"),
        ffmpeg("live_opus.webm", "-i {noise} -c:a libopus -f webm pipe:1"),
        ffmpeg(
            "av.webm",
            "-f lavfi -i testsrc=size=160x120:rate=10:duration=3 -i {speech} -c:v libvpx -deadline realtime -b:v 100k -c:a libopus -shortest",
        ),
        // Not ours (415) and video only.
        ffmpeg("picture.png", "-f lavfi -i testsrc=size=64x48 -frames:v 1"),
        ffmpeg(
            "clip.avi",
            "-f lavfi -i testsrc=size=64x48:rate=5:duration=1 -i {half} -c:v mjpeg -c:a pcm_s16le",
        ),
        ffmpeg(
            "video_only.mp4",
            "-f lavfi -i testsrc=size=64x48:rate=5:duration=1 -c:v libx264 -preset ultrafast",
        ),
        ffmpeg(
            "video_only.webm",
            "-f lavfi -i testsrc=size=64x48:rate=5:duration=1 -c:v libvpx -deadline realtime",
        ),
    ]
}

/// The expectations for each audio file (the others are named by the tests that use them).
fn samples(dir: &Path) -> Vec<Sample> {
    use Count as C;
    use Format as F;
    use Truth as T;
    let s = |name, format, codec, sample_rate, channels, truth, count, source| Sample {
        name,
        path: dir.join(name),
        format,
        codec,
        sample_rate,
        channels,
        truth,
        count,
        source,
        long: name.starts_with("long"),
    };
    vec![
        s("speech.wav", F::Wav, "pcm_s16le", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("tone10.wav", F::Wav, "pcm_s16le", 44100, 2, T::Ffprobe, C::DurationTs, ""),
        s("half.wav", F::Wav, "pcm_s16le", 48000, 1, T::Ffprobe, C::DurationTs, ""),
        s("long.wav", F::Wav, "pcm_s16le", 16000, 1, T::Ffprobe, C::DurationTs, ""),
        s("mulaw_ffmpeg.wav", F::Wav, "pcm_mulaw", 8000, 1, T::Ffprobe, C::DurationTs, ""),
        s("mulaw_sox.wav", F::Wav, "pcm_mulaw", 8000, 1, T::Ffprobe, C::DurationTs, ""),
        s("alaw_sox.wav", F::Wav, "pcm_alaw", 8000, 1, T::Ffprobe, C::DurationTs, ""),
        s("alaw_ffmpeg.wav", F::Wav, "pcm_alaw", 8000, 1, T::Ffprobe, C::DurationTs, ""),
        s("u8.wav", F::Wav, "pcm_u8", 11025, 1, T::Ffprobe, C::DurationTs, ""),
        s("s24_extensible.wav", F::Wav, "pcm_s24le", 44100, 2, T::Ffprobe, C::DurationTs, ""),
        s("rf64.wav", F::Wav, "pcm_s16le", 48000, 1, T::Ffprobe, C::DurationTs, ""),
        s("streamed.wav", F::Wav, "pcm_s16le", 22050, 1, T::Content, C::Content, "speech.wav"),
        s("long_mulaw.wav", F::Wav, "pcm_mulaw", 8000, 1, T::Ffprobe, C::DurationTs, ""),
        s("cbr.mp3", F::Mp3, "mp3", 44100, 2, T::Content, C::Content, "tone10.wav"),
        s("vbr_xing.mp3", F::Mp3, "mp3", 22050, 1, T::Content, C::Content, "speech.wav"),
        s("vbr_noxing.mp3", F::Mp3, "mp3", 16000, 1, T::Packets, C::None, "noise.wav"),
        s("cbr_noxing.mp3", F::Mp3, "mp3", 44100, 2, T::Ffprobe, C::None, "tone10.wav"),
        s("mpeg25_8k.mp3", F::Mp3, "mp3", 8000, 1, T::Content, C::Content, "speech.wav"),
        s("half.mp3", F::Mp3, "mp3", 48000, 1, T::Content, C::Content, "half.wav"),
        s("tagged_cbr.mp3", F::Mp3, "mp3", 22050, 1, T::Content, C::Content, "speech.wav"),
        s("layer2.mp2", F::Mp3, "mp2", 44100, 2, T::Ffprobe, C::None, "tone10.wav"),
        s("long_cbr.mp3", F::Mp3, "mp3", 16000, 1, T::Ffprobe, C::None, "long.wav"),
        s("speech_vorbis.ogg", F::Ogg, "vorbis", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("tone_vorbis.ogg", F::Ogg, "vorbis", 44100, 2, T::Ffprobe, C::DurationTs, ""),
        s("speech_opus.ogg", F::Ogg, "opus", 48000, 1, T::Content, C::Content, "speech.wav"),
        s("tone_opus.ogg", F::Ogg, "opus", 48000, 2, T::Content, C::Content, "tone10.wav"),
        s("half_opus.ogg", F::Ogg, "opus", 48000, 1, T::Content, C::Content, "half.wav"),
        s("flac_in.ogg", F::Ogg, "flac", 22050, 1, T::Content, C::Content, "speech.wav"),
        s("tone.flac", F::Flac, "flac", 44100, 2, T::Ffprobe, C::DurationTs, ""),
        s("speech.flac", F::Flac, "flac", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("streamed.flac", F::Flac, "flac", 16000, 1, T::Content, C::Content, "noise.wav"),
        s("speech.m4a", F::M4a, "aac", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("tone.m4a", F::M4a, "aac", 44100, 2, T::Ffprobe, C::DurationTs, ""),
        s("alac.m4a", F::M4a, "alac", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("audio.mp4", F::Mp4, "aac", 16000, 1, T::Ffprobe, C::DurationTs, ""),
        s("audio_faststart.mp4", F::Mp4, "aac", 16000, 1, T::Ffprobe, C::DurationTs, ""),
        s("av.mp4", F::Mp4, "aac", 16000, 1, T::Ffprobe, C::DurationTs, ""),
        s("av_faststart.mp4", F::Mp4, "aac", 16000, 1, T::Ffprobe, C::DurationTs, ""),
        s("av.mov", F::Mov, "aac", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("pcm.mov", F::Mov, "pcm_s16le", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("fragmented.m4a", F::M4a, "aac", 22050, 1, T::Ffprobe, C::DurationTs, ""),
        s("speech_opus.webm", F::Webm, "opus", 48000, 1, T::Content, C::None, "speech.wav"),
        s("tone_vorbis.webm", F::Webm, "vorbis", 44100, 2, T::Ffprobe, C::None, "tone10.wav"),
        s("live_opus.webm", F::Webm, "opus", 48000, 1, T::Content, C::None, "noise.wav"),
        s("av.webm", F::Webm, "opus", 48000, 1, T::Ffprobe, C::None, ""),
    ]
}

fn job(name: &'static str, program: &'static str, args: &[&str]) -> Job {
    Job { name, program, args: args.iter().map(|a| (*a).to_owned()).collect() }
}

/// An ffmpeg job: `-y -v error`, then the arguments (split on spaces), then the output.
fn ffmpeg(name: &'static str, args: &str) -> Job {
    let mut all: Vec<String> =
        ["-nostdin", "-y", "-v", "error", "-threads", "1"].map(String::from).to_vec();
    all.extend(args.split(' ').map(String::from));
    if args.ends_with("pipe:1") {
        // Written to a pipe (non-seekable), as a live recorder would: the shell redirects it.
        return Job {
            name,
            program: "sh",
            args: vec!["-c".into(), format!("ffmpeg {} > {{out}}", all.join(" "))],
        };
    }
    all.push("{out}".into());
    Job { name, program: "ffmpeg", args: all }
}

/// Fails, naming the install command, if a tool is missing.
fn require_tools() {
    for (tool, arg) in [
        ("ffmpeg", "-version"),
        ("ffprobe", "-version"),
        ("sox", "--version"),
        ("espeak-ng", "--version"),
    ] {
        let ok = Command::new(tool).arg(arg).output().is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "{tool} is required by these tests: apt-get install ffmpeg sox libsox-fmt-all espeak-ng"
        );
    }
}

fn generate() -> Corpus {
    require_tools();
    let dir = corpus_dir();
    run_all(&dir, sources());
    run_all(&dir, encodings());
    let samples = samples(&dir);
    Corpus { dir, samples }
}

/// A fresh directory for this process; directories of finished runs are removed.
fn corpus_dir() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix("probe-corpus-").and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("probe-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the corpus directory");
    dir
}

/// Runs the jobs on as many threads as there are cores.
fn run_all(dir: &Path, jobs: Vec<Job>) {
    let queue = Mutex::new(jobs);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(job) = queue.lock().expect("job queue").pop() {
                    run(dir, &job);
                }
            });
        }
    });
}

fn run(dir: &Path, job: &Job) {
    let subst = |a: &str| {
        let mut a = a.replace("{out}", &dir.join(job.name).to_string_lossy());
        a = a.replace("{comment}", &"x".repeat(100_000));
        for src in ["speech", "tone10", "half", "noise", "long"] {
            a = a.replace(&format!("{{{src}}}"), &dir.join(format!("{src}.wav")).to_string_lossy());
        }
        a
    };
    let args: Vec<String> = job.args.iter().map(|a| subst(a)).collect();
    let out = Command::new(job.program).args(&args).output().expect("run a corpus tool");
    assert!(
        out.status.success(),
        "making {} failed: {} {:?}\n{}",
        job.name,
        job.program,
        args,
        String::from_utf8_lossy(&out.stderr)
    );
}
