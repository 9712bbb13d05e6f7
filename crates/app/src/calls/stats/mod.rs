//! Call statistics (CALL-7): totals, answer rate, talk and ring times, the duration
//! histogram, daily series and busiest hours, in the workspace's time zone. Served from the
//! hourly rollups; only the partial hours at the edges of a custom range read calls.

mod view;

use std::collections::BTreeMap;

use callbase_domain::call::{Counters, DURATION_EDGES, RollupKey, bucket_start};
use callbase_domain::{Timestamp, UserId, WorkspaceId, from_micros, now};
use callbase_store::{GroupKey, StatsGroup, Store};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{ToSpan, Zoned};

pub use view::{
    DailyOut, DayOut, DistributionOut, DurationBucketOut, GroupBy, GroupOut, HourOut, Period,
    StatsOut, TotalsOut,
};

use crate::error::{AppError, AppResult};

const HOUR_MICROS: i64 = 3_600_000_000;

/// The period asked for, and what to break it down by.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatsQuery {
    pub period: Option<Period>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub group_by: Option<GroupBy>,
}

/// The period's bounds and the zone they were computed in.
struct Window {
    period: Period,
    tz: TimeZone,
    zone_name: String,
    from: Zoned,
    to: Zoned,
}

fn invalid(parameter: &str, reason: &str) -> AppError {
    AppError::InvalidQuery { parameter: parameter.to_owned(), reason: reason.to_owned() }
}

fn internal(err: impl std::fmt::Display) -> AppError {
    AppError::Internal(err.to_string())
}

async fn window(
    store: &dyn Store,
    workspace: WorkspaceId,
    params: &StatsQuery,
) -> AppResult<Window> {
    let ws = store.workspace(workspace).await?.ok_or(AppError::WorkspaceNotFound)?;
    let zone_name = ws.time_zone.as_str().to_owned();
    let tz = TimeZone::get(&zone_name).map_err(internal)?;
    let period = params.period.unwrap_or_default();
    let today = now().to_zoned(tz.clone()).start_of_day().map_err(internal)?;
    let (from, to) = match period {
        Period::Today => (today.clone(), today.checked_add(1.day())),
        Period::Week => {
            let monday = today
                .checked_sub(i64::from(today.weekday().to_monday_zero_offset()).days())
                .map_err(internal)?;
            (monday.clone(), monday.checked_add(1.week()))
        }
        Period::Month => {
            let first = today.first_of_month().map_err(internal)?;
            (first.clone(), first.checked_add(1.month()))
        }
        Period::Custom => {
            let (Some(from), Some(to)) = (params.from, params.to) else {
                return Err(invalid("from", "a custom period needs from and to"));
            };
            if to <= from {
                return Err(invalid("to", "must be after from"));
            }
            if to.as_second() - from.as_second() > 3 * 366 * 86_400 {
                return Err(invalid("to", "a period is at most three years"));
            }
            (from.to_zoned(tz.clone()), Ok(to.to_zoned(tz.clone())))
        }
    };
    let to = to.map_err(internal)?;
    Ok(Window { period, tz, zone_name, from, to })
}

fn group_of(key: &RollupKey, group: StatsGroup) -> GroupKey {
    match group {
        StatsGroup::All => GroupKey::All,
        StatsGroup::Bucket => GroupKey::Bucket(key.bucket),
        StatsGroup::User => GroupKey::User(key.user_id),
        StatsGroup::Agent => GroupKey::Agent(key.agent_id),
        StatsGroup::Source => GroupKey::Source(key.source.clone()),
        StatsGroup::Direction => GroupKey::Direction(key.direction),
    }
}

/// Whose calls statistics count: the workspace's, or only one agent's (AUTH-6).
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub workspace: WorkspaceId,
    pub only: Option<UserId>,
}

/// Sums for `[from, to)`: whole local hours from the rollups, the partial hours at either
/// end (custom periods only) from the calls themselves.
async fn sums(
    store: &dyn Store,
    Scope { workspace, only }: Scope,
    window: &Window,
    group: StatsGroup,
) -> AppResult<BTreeMap<GroupKey, Counters>> {
    let (from, to) = (window.from.timestamp(), window.to.timestamp());
    let floor = |at: Timestamp| bucket_start(at, &window.tz);
    let first_whole = if floor(from) == from.as_microsecond() {
        floor(from)
    } else {
        floor(from_micros(floor(from) + HOUR_MICROS))
    };
    let last_whole = floor(to).max(first_whole);
    let mut totals: BTreeMap<GroupKey, Counters> = BTreeMap::new();
    let whole_hours = match only {
        Some(user) => {
            store.user_call_stats(workspace, user, first_whole, last_whole, group).await?
        }
        None => store.call_stats(workspace, first_whole, last_whole, group).await?,
    };
    for (key, counts) in whole_hours {
        totals.entry(key).or_default().add(&counts);
    }
    let edges = [
        (from.as_microsecond(), first_whole.min(to.as_microsecond())),
        (last_whole.max(from.as_microsecond()), to.as_microsecond()),
    ];
    for (edge_from, edge_to) in edges {
        if edge_from >= edge_to {
            continue;
        }
        let calls = match only {
            Some(user) => {
                let tz = &window.tz;
                store.user_call_contributions(workspace, user, edge_from, edge_to, tz).await?
            }
            None => store.call_contributions(workspace, edge_from, edge_to, &window.tz).await?,
        };
        for (key, counts) in calls {
            totals.entry(group_of(&key, group)).or_default().add(&counts);
        }
    }
    Ok(totals)
}

fn total(rows: &BTreeMap<GroupKey, Counters>) -> Counters {
    let mut sum = Counters::default();
    for counts in rows.values() {
        sum.add(counts);
    }
    sum
}

fn distribution(counts: &Counters) -> Vec<DurationBucketOut> {
    counts
        .durations
        .iter()
        .enumerate()
        .map(|(i, calls)| DurationBucketOut {
            min_seconds: if i == 0 { 0 } else { DURATION_EDGES[i - 1] },
            max_seconds: DURATION_EDGES.get(i).copied(),
            calls: *calls,
        })
        .collect()
}

/// Folds hourly rows into local days (every day of the window) and hours of the day.
fn days_and_hours(
    window: &Window,
    hourly: &BTreeMap<GroupKey, Counters>,
) -> (Vec<DayOut>, Vec<HourOut>) {
    let mut days: BTreeMap<Date, Counters> = BTreeMap::new();
    let mut day = window.from.date();
    let last = window
        .to
        .timestamp()
        .checked_sub(1.microsecond())
        .map_or(day, |t| t.to_zoned(window.tz.clone()).date());
    while day <= last {
        days.insert(day, Counters::default());
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    let mut hours: BTreeMap<i8, Counters> = BTreeMap::new();
    for (key, counts) in hourly {
        let GroupKey::Bucket(bucket) = key else { continue };
        let local = from_micros(*bucket).to_zoned(window.tz.clone());
        days.entry(local.date()).or_default().add(counts);
        hours.entry(local.hour()).or_default().add(counts);
    }
    let daily = days
        .into_iter()
        .map(|(date, c)| DayOut {
            date,
            calls: c.calls,
            answered: c.answered,
            missed: c.missed,
            talk_seconds: c.talk_seconds,
        })
        .collect();
    let mut busiest: Vec<HourOut> = hours
        .into_iter()
        .filter(|(_, c)| c.calls > 0)
        .map(|(hour, c)| HourOut { hour, calls: c.calls, answered: c.answered })
        .collect();
    busiest.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.hour.cmp(&b.hour)));
    (daily, busiest)
}

fn group_label(key: &GroupKey) -> Option<String> {
    match key {
        GroupKey::All => None,
        GroupKey::Bucket(bucket) => Some(bucket.to_string()),
        GroupKey::User(user) => user.map(|id| id.to_string()),
        GroupKey::Agent(agent) => agent.map(|id| id.to_string()),
        GroupKey::Source(source) => Some(source.clone()),
        GroupKey::Direction(direction) => Some(direction.to_string()),
    }
}

async fn groups(
    store: &dyn Store,
    workspace: Scope,
    window: &Window,
    group_by: GroupBy,
    hourly: &BTreeMap<GroupKey, Counters>,
) -> AppResult<Vec<GroupOut>> {
    let mut rows: Vec<(Option<String>, Counters)> = match group_by {
        GroupBy::Day | GroupBy::Hour => {
            let mut folded: BTreeMap<String, Counters> = BTreeMap::new();
            for (key, counts) in hourly {
                let GroupKey::Bucket(bucket) = key else { continue };
                let local = from_micros(*bucket).to_zoned(window.tz.clone());
                let label = match group_by {
                    GroupBy::Day => local.date().to_string(),
                    _ => local.hour().to_string(),
                };
                folded.entry(label).or_default().add(counts);
            }
            folded.into_iter().map(|(label, counts)| (Some(label), counts)).collect()
        }
        GroupBy::User | GroupBy::Agent | GroupBy::Source | GroupBy::Direction => {
            let group = match group_by {
                GroupBy::User => StatsGroup::User,
                GroupBy::Agent => StatsGroup::Agent,
                GroupBy::Source => StatsGroup::Source,
                _ => StatsGroup::Direction,
            };
            let rows = sums(store, workspace, window, group).await?;
            rows.iter().map(|(key, counts)| (group_label(key), *counts)).collect()
        }
    };
    if !matches!(group_by, GroupBy::Day | GroupBy::Hour) {
        rows.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(&b.0)));
    }
    Ok(rows
        .into_iter()
        .map(|(key, counts)| GroupOut { key, totals: TotalsOut::from(&counts) })
        .collect())
}

/// Call statistics for a period in the workspace's time zone.
///
/// # Errors
/// An impossible period, or the store's.
pub async fn call_stats(
    store: &dyn Store,
    scope: Scope,
    query: &StatsQuery,
) -> AppResult<StatsOut> {
    let window = window(store, scope.workspace, query).await?;
    let hourly = sums(store, scope, &window, StatsGroup::Bucket).await?;
    let totals = total(&hourly);
    let (daily, busiest_hours) = days_and_hours(&window, &hourly);
    let groups = match query.group_by {
        Some(group_by) => Some(groups(store, scope, &window, group_by, &hourly).await?),
        None => None,
    };
    Ok(StatsOut {
        period: window.period,
        from: window.from.timestamp(),
        to: window.to.timestamp(),
        time_zone: window.zone_name,
        totals: TotalsOut::from(&totals),
        duration_distribution: distribution(&totals),
        daily,
        busiest_hours,
        groups,
    })
}

/// Calls per local day of the period, with zeros for days without calls.
///
/// # Errors
/// An impossible period, or the store's.
pub async fn daily_stats(
    store: &dyn Store,
    scope: Scope,
    query: &StatsQuery,
) -> AppResult<DailyOut> {
    let window = window(store, scope.workspace, query).await?;
    let hourly = sums(store, scope, &window, StatsGroup::Bucket).await?;
    let (days, _) = days_and_hours(&window, &hourly);
    Ok(DailyOut {
        from: window.from.timestamp(),
        to: window.to.timestamp(),
        time_zone: window.zone_name,
        days,
    })
}

/// The talk-time histogram of answered, finished calls in the period.
///
/// # Errors
/// An impossible period, or the store's.
pub async fn duration_distribution(
    store: &dyn Store,
    scope: Scope,
    query: &StatsQuery,
) -> AppResult<DistributionOut> {
    let window = window(store, scope.workspace, query).await?;
    let rows = sums(store, scope, &window, StatsGroup::All).await?;
    Ok(DistributionOut {
        from: window.from.timestamp(),
        to: window.to.timestamp(),
        edges: DURATION_EDGES.to_vec(),
        buckets: distribution(&total(&rows)),
    })
}
