//! The PERF targets `callbase bench` measures, each figure next to its target and its
//! same-run baseline, met or missed (SPEC §11).

use super::footprint::Footprint;
use super::load::Latency;

/// What one database's run measured, for the verdicts.
#[derive(Default)]
pub struct Figures {
    pub database: String,
    pub calls: i64,
    /// No-op requests per second (PERF-1's baseline) and acknowledged timeline entries.
    pub noop: Option<f64>,
    pub events: Option<f64>,
    /// Signed Twilio status callbacks acknowledged per second.
    pub twilio: Option<f64>,
    /// The slowest single filter of `GET /calls` by p99: its label and latency.
    pub worst_filter: Option<(String, Latency)>,
    pub users_me: Option<Latency>,
    /// 30 whole local days, and 30 days from 10:30 to 10:30.
    pub stats_aligned: Option<Latency>,
    pub stats_unaligned: Option<Latency>,
    pub footprint: Option<Footprint>,
}

struct Verdict {
    target: &'static str,
    says: &'static str,
    figure: String,
    baseline: String,
    met: Option<bool>,
}

fn thousands(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let digits = (value.round() as i64).unsigned_abs().to_string();
    let mut out = if value <= -0.5 { "-".to_owned() } else { String::new() };
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn ingest(figures: &Figures, sqlite_events: Option<f64>) -> Option<Verdict> {
    let (noop, events) = (figures.noop?, figures.events?);
    let share = events / noop.max(1.0);
    let baseline = format!("no-op `GET /healthz` {}/s", thousands(noop));
    let figure = format!("{}/s ({:.0} % of the no-op)", thousands(events), share * 100.0);
    Some(if figures.database == "sqlite" {
        Verdict {
            target: "PERF-1",
            says: "≥ 20,000 events/s on SQLite and ≥ half the same run's no-op",
            figure,
            baseline,
            met: Some(events >= 20_000.0 && share >= 0.5),
        }
    } else {
        Verdict {
            target: "PERF-1",
            says: "PostgreSQL within 2× of SQLite",
            figure: match sqlite_events {
                Some(sqlite) => format!("{figure}; {:.2}× SQLite's", events / sqlite),
                None => format!("{figure}; no SQLite in this run"),
            },
            baseline,
            met: sqlite_events.map(|sqlite| events * 2.0 >= sqlite),
        }
    })
}

fn verdicts(figures: &Figures, sqlite_events: Option<f64>) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = ingest(figures, sqlite_events).into_iter().collect();
    if let (Some(twilio), Some(noop)) = (figures.twilio, figures.noop) {
        let sqlite = figures.database == "sqlite";
        out.push(Verdict {
            target: "INGEST-1",
            says: "≥ 10,000 signed Twilio status callbacks/s on SQLite",
            figure: format!(
                "{}/s ({:.0} % of the no-op; timeline entries {}/s)",
                thousands(twilio),
                twilio / noop.max(1.0) * 100.0,
                figures.events.map_or_else(|| "-".to_owned(), thousands)
            ),
            baseline: format!("no-op `GET /healthz` {}/s", thousands(noop)),
            met: sqlite.then_some(twilio >= 10_000.0),
        });
    }
    let floor = figures
        .users_me
        .map_or_else(String::new, |me| format!("`GET /users/me` p99 {:.2} ms", me.p99));
    if let Some((label, worst)) = &figures.worst_filter {
        out.push(Verdict {
            target: "PERF-2",
            says: "`GET /calls`, any single filter, p99 < 20 ms at 10 M calls",
            figure: format!("worst p99 {:.2} ms (`{label}`)", worst.p99),
            baseline: floor.clone(),
            met: Some(worst.p99 < 20.0),
        });
    }
    if let (Some(aligned), Some(unaligned)) = (figures.stats_aligned, figures.stats_unaligned) {
        out.push(Verdict {
            target: "PERF-3",
            says: "`GET /calls/stats` for a month (30 days) < 50 ms at 10 M calls",
            figure: format!(
                "p99 {:.2} ms whole days, {:.2} ms from 10:30 (p50 {:.2} / {:.2}); \
                 first request {:.0} / {:.0} ms",
                aligned.p99,
                unaligned.p99,
                aligned.p50,
                unaligned.p50,
                aligned.first,
                unaligned.first
            ),
            baseline: floor,
            met: Some(aligned.p99.max(unaligned.p99) < 50.0),
        });
    }
    if let Some(footprint) = &figures.footprint {
        let ready = footprint.ready_median_ms();
        out.push(Verdict {
            target: "PERF-5",
            says: "start-up to ready < 200 ms on an existing database",
            figure: format!(
                "{ready:.0} ms (median of {} starts of `callbase serve`)",
                footprint.ready_ms.len()
            ),
            baseline: String::new(),
            met: Some(ready < 200.0),
        });
        out.push(Verdict {
            target: "PERF-5",
            says: "idle server < 30 MB resident",
            figure: format!(
                "{:.1} MB 2 s after ready; one login: peak {:.1} MB, {:.1} MB after it \
                 (back within 1 MB after {:.1} s)",
                footprint.idle_mb,
                footprint.login_peak_mb,
                footprint.settled_mb,
                footprint.held.as_secs_f64()
            ),
            baseline: String::new(),
            met: Some(footprint.idle_mb < 30.0),
        });
    }
    out
}

/// Prints the targets' table for every database of the run.
pub fn print(all: &[Figures]) {
    let sqlite_events =
        all.iter().find(|f| f.database == "sqlite").and_then(|figures| figures.events);
    println!();
    println!("| database | calls | target | says | figure | same-run baseline | |");
    println!("|---|---:|---|---|---|---|---|");
    for figures in all {
        for verdict in verdicts(figures, sqlite_events) {
            let met = match verdict.met {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "",
            };
            println!(
                "| {} | {} | {} | {} | {} | {} | {met} |",
                figures.database,
                thousands(figures.calls as f64),
                verdict.target,
                verdict.says,
                verdict.figure,
                verdict.baseline
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_000.0), "1,000");
        assert_eq!(thousands(10_000_123.4), "10,000,123");
        assert_eq!(thousands(-12_345.0), "-12,345");
        assert_eq!(thousands(-123.0), "-123");
    }
}
