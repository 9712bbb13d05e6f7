//! `GET /calls/stats` (CALL-7): totals, answer rate, talk and ring times, the duration
//! histogram, daily series and busiest hours, in the workspace's time zone. Served from the
//! hourly rollups; only the partial hours at the edges of a custom range read calls.

use std::collections::BTreeMap;

use axum::extract::State;
use callbase_domain::call::{Counters, DURATION_EDGES, RollupKey, bucket_start};
use callbase_domain::{Timestamp, UserId, WorkspaceId, from_micros, now};
use callbase_store::{GroupKey, StatsGroup};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{ToSpan, Zoned};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::visibility::only_calls_of;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Query};
use crate::state::AppState;

const HOUR_MICROS: i64 = 3_600_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Today,
    Week,
    #[default]
    Month,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Day,
    Hour,
    User,
    Agent,
    Source,
    Direction,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// `today`, `week` (from Monday), `month` (default) in the workspace's time zone, or
    /// `custom` with `from` and `to`.
    #[param(inline)]
    pub period: Option<Period>,
    /// Start of a custom period (inclusive).
    pub from: Option<Timestamp>,
    /// End of a custom period (exclusive).
    pub to: Option<Timestamp>,
    /// Also break the totals down by this.
    #[param(inline)]
    pub group_by: Option<GroupBy>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsOut {
    pub calls: i64,
    pub inbound: i64,
    pub outbound: i64,
    pub internal: i64,
    pub answered: i64,
    /// Inbound calls that ended unanswered.
    pub missed: i64,
    /// Answered calls over all calls (ASR), 0 to 1; null without calls.
    pub answer_rate: Option<f64>,
    pub total_talk_seconds: i64,
    pub total_talk_minutes: f64,
    /// Average talk time of answered, finished calls (ACD).
    pub average_talk_seconds: Option<f64>,
    pub average_ring_seconds: Option<f64>,
}

#[allow(clippy::cast_precision_loss)]
fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl From<&Counters> for TotalsOut {
    #[allow(clippy::cast_precision_loss)]
    fn from(c: &Counters) -> Self {
        Self {
            calls: c.calls,
            inbound: c.inbound,
            outbound: c.outbound,
            internal: c.internal,
            answered: c.answered,
            missed: c.missed,
            answer_rate: ratio(c.answered, c.calls),
            total_talk_seconds: c.talk_seconds,
            total_talk_minutes: (c.talk_seconds as f64 / 60.0 * 100.0).round() / 100.0,
            average_talk_seconds: ratio(c.talk_seconds, c.talked),
            average_ring_seconds: ratio(c.ring_seconds, c.rang),
        }
    }
}

/// One bar of the talk-time histogram: `[min_seconds, max_seconds)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DurationBucketOut {
    pub min_seconds: i64,
    /// Null for the open last bucket.
    pub max_seconds: Option<i64>,
    pub calls: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayOut {
    /// The local date.
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub talk_seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HourOut {
    /// Local hour of the day, 0 to 23.
    pub hour: i8,
    pub calls: i64,
    pub answered: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// The user, agent, source or direction; the local date for `day`, the hour for
    /// `hour`; null for calls without a user or agent.
    pub key: Option<String>,
    #[serde(flatten)]
    pub totals: TotalsOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    pub period: Period,
    pub from: Timestamp,
    pub to: Timestamp,
    pub time_zone: String,
    pub totals: TotalsOut,
    pub duration_distribution: Vec<DurationBucketOut>,
    /// Every local day of the period, with zeros where there were no calls.
    pub daily: Vec<DayOut>,
    /// Hours of the day with calls, busiest first.
    pub busiest_hours: Vec<HourOut>,
    /// With `group_by`: the totals per group, largest first.
    pub groups: Option<Vec<GroupOut>>,
}

/// The period's bounds and the zone they were computed in.
struct Window {
    period: Period,
    tz: TimeZone,
    zone_name: String,
    from: Zoned,
    to: Zoned,
}

fn invalid(parameter: &str, reason: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, format!("query parameter {parameter}: {reason}"))
        .with_details(json!({ "parameter": parameter, "reason": reason }))
}

async fn window(
    state: &AppState,
    workspace: WorkspaceId,
    params: &StatsParams,
) -> ApiResult<Window> {
    let ws = state
        .store
        .workspace(workspace)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::WorkspaceNotFound, "no such workspace"))?;
    let zone_name = ws.time_zone.as_str().to_owned();
    let tz = TimeZone::get(&zone_name).map_err(ApiError::internal)?;
    let period = params.period.unwrap_or_default();
    let today = now().to_zoned(tz.clone()).start_of_day().map_err(ApiError::internal)?;
    let (from, to) = match period {
        Period::Today => (today.clone(), today.checked_add(1.day())),
        Period::Week => {
            let monday = today
                .checked_sub(i64::from(today.weekday().to_monday_zero_offset()).days())
                .map_err(ApiError::internal)?;
            (monday.clone(), monday.checked_add(1.week()))
        }
        Period::Month => {
            let first = today.first_of_month().map_err(ApiError::internal)?;
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
    let to = to.map_err(ApiError::internal)?;
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
struct Scope {
    workspace: WorkspaceId,
    only: Option<UserId>,
}

/// Sums for `[from, to)`: whole local hours from the rollups, the partial hours at either
/// end (custom periods only) from the calls themselves.
async fn sums(
    state: &AppState,
    Scope { workspace, only }: Scope,
    window: &Window,
    group: StatsGroup,
) -> ApiResult<BTreeMap<GroupKey, Counters>> {
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
            state.store.user_call_stats(workspace, user, first_whole, last_whole, group).await?
        }
        None => state.store.call_stats(workspace, first_whole, last_whole, group).await?,
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
                state.store.user_call_contributions(workspace, user, edge_from, edge_to, tz).await?
            }
            None => {
                state.store.call_contributions(workspace, edge_from, edge_to, &window.tz).await?
            }
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
    state: &AppState,
    workspace: Scope,
    window: &Window,
    group_by: GroupBy,
    hourly: &BTreeMap<GroupKey, Counters>,
) -> ApiResult<Vec<GroupOut>> {
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
            let rows = sums(state, workspace, window, group).await?;
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
#[utoipa::path(get, path = "/calls/stats", tag = "calls", params(StatsParams),
    responses((status = 200, body = StatsOut), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn call_stats(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<StatsParams>,
) -> ApiResult<Json<StatsOut>> {
    let workspace = principal.workspace_id()?;
    let window = window(&state, workspace, &params).await?;
    let workspace = Scope { workspace, only: only_calls_of(&state, &principal).await? };
    let hourly = sums(&state, workspace, &window, StatsGroup::Bucket).await?;
    let totals = total(&hourly);
    let (daily, busiest_hours) = days_and_hours(&window, &hourly);
    let groups = match params.group_by {
        Some(group_by) => Some(groups(&state, workspace, &window, group_by, &hourly).await?),
        None => None,
    };
    Ok(Json(StatsOut {
        period: window.period,
        from: window.from.timestamp(),
        to: window.to.timestamp(),
        time_zone: window.zone_name,
        totals: TotalsOut::from(&totals),
        duration_distribution: distribution(&totals),
        daily,
        busiest_hours,
        groups,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyOut {
    pub from: Timestamp,
    pub to: Timestamp,
    pub time_zone: String,
    pub days: Vec<DayOut>,
}

/// Calls per local day of the period, with zeros for days without calls.
#[utoipa::path(get, path = "/calls/stats/daily", tag = "calls", params(StatsParams),
    responses((status = 200, body = DailyOut), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn daily_stats(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<StatsParams>,
) -> ApiResult<Json<DailyOut>> {
    let workspace = principal.workspace_id()?;
    let window = window(&state, workspace, &params).await?;
    let workspace = Scope { workspace, only: only_calls_of(&state, &principal).await? };
    let hourly = sums(&state, workspace, &window, StatsGroup::Bucket).await?;
    let (days, _) = days_and_hours(&window, &hourly);
    Ok(Json(DailyOut {
        from: window.from.timestamp(),
        to: window.to.timestamp(),
        time_zone: window.zone_name,
        days,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionOut {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Bucket edges in seconds; bucket i is `[edges[i-1], edges[i])`.
    pub edges: Vec<i64>,
    pub buckets: Vec<DurationBucketOut>,
}

/// The talk-time histogram of answered, finished calls in the period.
#[utoipa::path(get, path = "/calls/stats/duration-distribution", tag = "calls", params(StatsParams),
    responses((status = 200, body = DistributionOut), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn duration_distribution(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<StatsParams>,
) -> ApiResult<Json<DistributionOut>> {
    let workspace = principal.workspace_id()?;
    let window = window(&state, workspace, &params).await?;
    let workspace = Scope { workspace, only: only_calls_of(&state, &principal).await? };
    let rows = sums(&state, workspace, &window, StatsGroup::All).await?;
    Ok(Json(DistributionOut {
        from: window.from.timestamp(),
        to: window.to.timestamp(),
        edges: DURATION_EDGES.to_vec(),
        buckets: distribution(&total(&rows)),
    }))
}
