//! `callbase probe FILE...`: the media facts the server would record for each file, read
//! in-process exactly as uploads are, with the time each read took (PERF-4).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use callbase_media::probe::probe_file;
use clap::Args;
use serde_json::json;

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Audio files to read.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Read each file this many times and report the median time (for benchmarks).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeat: u32,
}

/// Prints one JSON line per file; fails when any file is refused.
pub fn run(args: &ProbeArgs) -> Result<(), String> {
    let started = Instant::now();
    let mut refused = 0;
    for file in &args.files {
        let mut times = Vec::with_capacity(args.repeat as usize);
        let mut result = None;
        for _ in 0..args.repeat {
            let began = Instant::now();
            result = Some(probe_file(file));
            times.push(began.elapsed());
        }
        times.sort();
        let median_us = times.get(times.len() / 2).copied().unwrap_or_default().as_secs_f64() * 1e6;
        let line = match result {
            Some(Ok(facts)) => json!({
                "file": file.display().to_string(),
                "format": facts.format.as_str(),
                "codec": facts.codec,
                "duration_ms": facts.duration_ms,
                "sample_count": facts.sample_count,
                "sample_rate": facts.sample_rate,
                "channels": facts.channels,
                "bitrate": facts.bitrate,
                "median_us": (median_us * 10.0).round() / 10.0,
            }),
            Some(Err(err)) => {
                refused += 1;
                json!({ "file": file.display().to_string(), "error": err.to_string(),
                    "median_us": (median_us * 10.0).round() / 10.0 })
            }
            None => continue,
        };
        println!("{line}");
    }
    let total = started.elapsed();
    let reads = args.files.len() as f64 * f64::from(args.repeat);
    eprintln!(
        "{} files x {} in {:.1} ms: {:.0} files/s",
        args.files.len(),
        args.repeat,
        total.as_secs_f64() * 1e3,
        reads / total.max(Duration::from_nanos(1)).as_secs_f64()
    );
    if refused > 0 {
        Err(format!("{refused} of {} files were refused", args.files.len()))
    } else {
        Ok(())
    }
}
