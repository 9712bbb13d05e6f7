//! The history and statistics queries of `callbase bench` (PERF-2 and PERF-3), and the
//! 30-day windows PERF-3 is measured over.

use callbase_domain::{Timestamp, WorkspaceId, now};
use callbase_store::{SqlStore, WorkspaceStore};
use jiff::ToSpan;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use serde_json::Value;

use super::load::{Target, latency};
use super::summary::Figures;
use super::{BenchArgs, Row, row};

/// PERF-3's two 30-day windows at the end of the data, in the workspace's time zone.
pub struct StatsWindows {
    /// 30 whole local days up to the midnight after the newest demo call.
    pub aligned: (Timestamp, Timestamp),
    /// 30 days from 10:30 to 10:30, ending on the last weekday of the data: the partial
    /// hours at both ends are read from the calls of busy hours, not from the rollups.
    pub unaligned: (Timestamp, Timestamp),
}

pub async fn stats_windows(
    store: &SqlStore,
    workspace: WorkspaceId,
    newest: Timestamp,
) -> Result<StatsWindows, String> {
    let zone = store
        .workspace(workspace)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the workspace is gone")?
        .time_zone;
    let tz = TimeZone::get(zone.as_str()).map_err(|e| e.to_string())?;
    let window = || -> Result<StatsWindows, jiff::Error> {
        let end = newest.to_zoned(tz.clone()).start_of_day()?.checked_add(1.day())?;
        let start = end.checked_sub(30.days())?;
        let mut day = end.date().yesterday()?;
        while matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            day = day.yesterday()?;
        }
        let to = day.at(10, 30, 0, 0).to_zoned(tz.clone())?;
        let from = to.checked_sub(30.days())?;
        Ok(StatsWindows {
            aligned: (start.timestamp(), end.timestamp()),
            unaligned: (from.timestamp(), to.timestamp()),
        })
    };
    window().map_err(|e| e.to_string())
}

fn stats_path((from, to): (Timestamp, Timestamp), group_by: &str) -> String {
    format!("/api/v1/calls/stats?period=custom&from={from}&to={to}{group_by}")
}

/// Which PERF-2/3 figure a latency row feeds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Feeds {
    Filter,
    StatsAligned,
    StatsUnaligned,
    Floor,
    Nothing,
}

/// History and statistics latencies; the statistics first, so that their first request
/// is the first this server makes of the rollups.
pub async fn bench_queries(
    target: &Target,
    args: &BenchArgs,
    sample: &Value,
    windows: &StatsWindows,
    figures: &mut Figures,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let since = sample["started_at"]
        .as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(now);
    let week_before = since.checked_sub(jiff::SignedDuration::from_hours(24 * 7)).unwrap_or(since);
    let user = sample["user_id"].as_str().unwrap_or_default();
    let suffix = sample["suffix"].as_str().unwrap_or("0000");
    let queries = [
        (
            "GET /calls/stats, 30 whole days (PERF-3)",
            stats_path(windows.aligned, ""),
            Feeds::StatsAligned,
        ),
        (
            "GET /calls/stats, 30 days from 10:30 (PERF-3)",
            stats_path(windows.unaligned, ""),
            Feeds::StatsUnaligned,
        ),
        (
            "GET /calls/stats, 30 days from 10:30, by user",
            stats_path(windows.unaligned, "&group_by=user"),
            Feeds::Nothing,
        ),
        ("GET /calls (no filter)", "/api/v1/calls".to_owned(), Feeds::Filter),
        ("GET /calls?status=missed", "/api/v1/calls?status=missed".to_owned(), Feeds::Filter),
        (
            "GET /calls?status=on_hold (rare)",
            "/api/v1/calls?status=on_hold".to_owned(),
            Feeds::Filter,
        ),
        (
            "GET /calls?direction=internal",
            "/api/v1/calls?direction=internal".to_owned(),
            Feeds::Filter,
        ),
        ("GET /calls?source=placetel", "/api/v1/calls?source=placetel".to_owned(), Feeds::Filter),
        ("GET /calls?user_id=…", format!("/api/v1/calls?user_id={user}"), Feeds::Filter),
        ("GET /calls?number=<4 digits>", format!("/api/v1/calls?number={suffix}"), Feeds::Filter),
        (
            "GET /calls?from&to (a week)",
            format!("/api/v1/calls?from={week_before}&to={since}"),
            Feeds::Filter,
        ),
        (
            "GET /calls?min_duration=3600",
            "/api/v1/calls?min_duration=3600".to_owned(),
            Feeds::Filter,
        ),
        ("GET /calls?max_duration=5", "/api/v1/calls?max_duration=5".to_owned(), Feeds::Filter),
        (
            "GET /calls?has_recording=true",
            "/api/v1/calls?has_recording=true".to_owned(),
            Feeds::Filter,
        ),
        ("GET /calls?tag=complaint", "/api/v1/calls?tag=complaint".to_owned(), Feeds::Filter),
        ("GET /calls?q=callback", "/api/v1/calls?q=callback".to_owned(), Feeds::Filter),
        ("GET /calls?sort=-duration", "/api/v1/calls?sort=-duration".to_owned(), Feeds::Filter),
        (
            "GET /calls/stats?period=month (calendar month so far)",
            "/api/v1/calls/stats?period=month".to_owned(),
            Feeds::Nothing,
        ),
        ("baseline GET /users/me", "/api/v1/users/me".to_owned(), Feeds::Floor),
    ];
    for (label, path, feeds) in queries {
        let measured = latency(target, &path, args.requests).await?;
        eprintln!(
            "  {label}: first {:.2} ms, p50 {:.2} ms, p99 {:.2} ms",
            measured.first, measured.p50, measured.p99
        );
        rows.push(row(figures, label, Some(measured), None));
        match feeds {
            Feeds::Filter => {
                if figures.worst_filter.as_ref().is_none_or(|(_, worst)| measured.p99 > worst.p99) {
                    figures.worst_filter = Some((label.to_owned(), measured));
                }
            }
            Feeds::StatsAligned => figures.stats_aligned = Some(measured),
            Feeds::StatsUnaligned => figures.stats_unaligned = Some(measured),
            Feeds::Floor => figures.users_me = Some(measured),
            Feeds::Nothing => {}
        }
    }
    Ok(())
}
