//! What the statistics answer (CALL-7): totals, the duration histogram, days, hours, groups.

use callbase_domain::Timestamp;
use callbase_domain::call::Counters;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyOut {
    pub from: Timestamp,
    pub to: Timestamp,
    pub time_zone: String,
    pub days: Vec<DayOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionOut {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Bucket edges in seconds; bucket i is `[edges[i-1], edges[i])`.
    pub edges: Vec<i64>,
    pub buckets: Vec<DurationBucketOut>,
}
