//! Worst probe time per MiB of adversarial input, per format (REL-6, PERF-11), with the steps
//! each probe counted against its budget:
//! `cargo run --release -p callbase-media --example adversarial_bench [FORMAT]`; with
//! `-- --files FILE…`, the same figures for real files instead (the budget's headroom).

#[path = "../tests/formats/crafted/mod.rs"]
mod crafted;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

use callbase_media::probe::{ProbeBudget, probe_measured};
use std::fs::File;

const SIZES: [usize; 3] = [64 * 1024, 1024 * 1024, 4 * 1024 * 1024];
const MIB: f64 = 1024.0 * 1024.0;
/// PERF-11: adversarial media of any format costs at most ~100 ms of CPU per MiB to probe.
const TARGET_MS_PER_MIB: f64 = 100.0;

/// The worst case seen for one format.
#[derive(Default)]
struct Worst {
    ms_per_mib: f64,
    what: String,
    steps_share: f64,
}

fn main() {
    let only = std::env::args().nth(1);
    if only.as_deref() == Some("--files") {
        real_files(std::env::args().skip(2));
        return;
    }
    let budget = ProbeBudget::default();
    let mut worst: BTreeMap<&str, Worst> = BTreeMap::new();
    println!(
        "| format | input | size | outcome | steps (% of budget) | time | per MiB | PERF-11 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for size in SIZES {
        for case in crafted::all(size) {
            if only.as_deref().is_some_and(|f| f != case.format) {
                continue;
            }
            let len = case.bytes.len() as u64;
            let mut times = Vec::new();
            let mut outcome = String::new();
            let mut steps = 0;
            let started = Instant::now();
            while times.len() < 15
                && (times.is_empty() || started.elapsed() < Duration::from_millis(300))
            {
                let began = Instant::now();
                let (result, used) = probe_measured(Cursor::new(&case.bytes), len, &budget);
                times.push(began.elapsed());
                steps = used;
                outcome = match result {
                    Ok(facts) => format!("ok, {} ms", facts.duration_ms),
                    Err(err) => short(&err.to_string()),
                };
            }
            times.sort();
            let median = times[times.len() / 2];
            let mib = len as f64 / MIB;
            let per_mib = median.as_secs_f64() * 1e3 / mib;
            let share = steps as f64 * 100.0 / budget.allowed_steps(len) as f64;
            println!(
                "| {} | {} | {} | {} | {} ({:.1} %) | {:.3} ms | {:.2} ms | {} |",
                case.format,
                case.name,
                human(case.bytes.len()),
                outcome,
                steps,
                share,
                median.as_secs_f64() * 1e3,
                per_mib,
                if per_mib <= TARGET_MS_PER_MIB { "met" } else { "missed" }
            );
            let entry = worst.entry(case.format).or_default();
            if per_mib > entry.ms_per_mib {
                entry.ms_per_mib = per_mib;
                entry.what = format!("{} at {}", case.name, human(case.bytes.len()));
            }
            entry.steps_share = entry.steps_share.max(share);
        }
    }
    println!("\n| format | worst per MiB | input | most of the budget used | PERF-11 |");
    println!("|---|---|---|---|---|");
    for (format, w) in worst {
        let verdict = if w.ms_per_mib <= TARGET_MS_PER_MIB { "met" } else { "missed" };
        println!(
            "| {format} | {:.2} ms | {} | {:.1} % | {verdict} |",
            w.ms_per_mib, w.what, w.steps_share
        );
    }
}

/// Steps, share of the budget and time of each file named.
fn real_files(paths: impl Iterator<Item = String>) {
    let budget = ProbeBudget::default();
    println!("| file | size | outcome | steps (% of budget) | time |\n|---|---|---|---|---|");
    for path in paths {
        let Ok(file) = File::open(&path) else {
            println!("| {path} | cannot open | | | |");
            continue;
        };
        let size = file.metadata().map_or(0, |m| m.len());
        let began = Instant::now();
        let (result, steps) = probe_measured(file, size, &budget);
        let elapsed = began.elapsed();
        let outcome = match result {
            Ok(facts) => format!("{} {}, {} ms", facts.format, facts.codec, facts.duration_ms),
            Err(err) => short(&err.to_string()),
        };
        let share = steps as f64 * 100.0 / budget.allowed_steps(size) as f64;
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        println!(
            "| {path} | {} | {outcome} | {steps} ({share:.3} %) | {:.3} ms |",
            human(size),
            elapsed.as_secs_f64() * 1e3
        );
    }
}

fn human(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

/// The first 60 characters of an error message.
fn short(message: &str) -> String {
    let cut: String = message.chars().take(60).collect();
    if cut.len() < message.len() { format!("{cut}…") } else { cut }
}
