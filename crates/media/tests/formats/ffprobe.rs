//! ffprobe as the reference: its audio stream's facts, parsed from `-of json`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// What ffprobe says about a file's first audio stream.
#[derive(Clone, Debug)]
pub struct Reference {
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// Seconds: the stream's duration, else the format's.
    pub duration: Option<f64>,
    pub duration_ts: Option<u64>,
    /// Packets counted by demuxing (`-count_packets`).
    pub packets: Option<u64>,
}

pub fn reference(path: &Path) -> Reference {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-show_format", "-show_streams", "-of", "json"])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("ffprobe json");
    let streams = json["streams"].as_array().expect("streams");
    let audio = streams.iter().find(|s| s["codec_type"] == "audio").expect("an audio stream");
    let num = |v: &Value| -> Option<f64> { v.as_str().and_then(|s| s.parse().ok()).or(v.as_f64()) };
    Reference {
        codec: audio["codec_name"].as_str().expect("codec_name").to_owned(),
        sample_rate: num(&audio["sample_rate"]).expect("sample_rate") as u32,
        channels: audio["channels"].as_u64().expect("channels") as u16,
        duration: num(&audio["duration"]).or_else(|| num(&json["format"]["duration"])),
        duration_ts: audio["duration_ts"].as_u64(),
        packets: num(&audio["nb_read_packets"]).map(|p| p as u64),
    }
}

/// Seconds to milliseconds, rounded.
pub fn ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}
