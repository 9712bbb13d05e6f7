//! Statistics rollups (CALL-7): what one call adds to the counters of its hour, so the
//! store can keep them current at write time (subtract the old contribution, add the new)
//! and a month of statistics reads a few hundred rows instead of every call.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use uuid::Uuid;

use super::{Call, CallStatus, Direction, Source};
use crate::UserId;

/// Upper edges (seconds, exclusive) of the talk-time histogram; the last bucket is open.
pub const DURATION_EDGES: [i64; 7] = [10, 30, 60, 120, 300, 600, 1800];
pub const DURATION_BUCKETS: usize = DURATION_EDGES.len() + 1;

const HOUR_MICROS: i64 = 3_600_000_000;

/// Which rollup row a call counts in: its local hour and the dimensions stats group by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    /// Start of the hour, in the workspace's time zone, containing `started_at` (µs).
    pub bucket: i64,
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub source: String,
    pub direction: Direction,
}

/// Additive counters: sums of these over any set of rows give that set's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    pub calls: i64,
    pub inbound: i64,
    pub outbound: i64,
    pub internal: i64,
    pub answered: i64,
    /// Inbound calls that ended without anyone answering.
    pub missed: i64,
    pub rang: i64,
    pub ring_seconds: i64,
    pub talked: i64,
    pub talk_seconds: i64,
    /// Finished answered calls per talk-time bucket of `DURATION_EDGES`.
    pub durations: [i64; DURATION_BUCKETS],
}

impl Counters {
    /// What `call` adds.
    #[must_use]
    pub fn of(call: &Call) -> Self {
        let mut counters = Self { calls: 1, ..Self::default() };
        match call.direction {
            Direction::Inbound => counters.inbound = 1,
            Direction::Outbound => counters.outbound = 1,
            Direction::Internal => counters.internal = 1,
        }
        let answered = call.answered_at.is_some();
        counters.answered = i64::from(answered);
        counters.missed = i64::from(
            call.direction == Direction::Inbound
                && call.status.is_final()
                && !answered
                && call.status != CallStatus::Failed,
        );
        if let Some(ring) = call.ring_seconds() {
            counters.rang = 1;
            counters.ring_seconds = ring;
        }
        if let Some(talk) = call.talk_seconds() {
            counters.talked = 1;
            counters.talk_seconds = talk;
            counters.durations[duration_bucket(talk)] = 1;
        }
        counters
    }

    pub fn add(&mut self, other: &Self) {
        self.combine(other, 1);
    }

    pub fn subtract(&mut self, other: &Self) {
        self.combine(other, -1);
    }

    fn combine(&mut self, other: &Self, sign: i64) {
        self.calls += sign * other.calls;
        self.inbound += sign * other.inbound;
        self.outbound += sign * other.outbound;
        self.internal += sign * other.internal;
        self.answered += sign * other.answered;
        self.missed += sign * other.missed;
        self.rang += sign * other.rang;
        self.ring_seconds += sign * other.ring_seconds;
        self.talked += sign * other.talked;
        self.talk_seconds += sign * other.talk_seconds;
        for (mine, theirs) in self.durations.iter_mut().zip(other.durations) {
            *mine += sign * theirs;
        }
    }

    #[must_use]
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// Which histogram bucket a talk time falls in.
#[must_use]
pub fn duration_bucket(talk_seconds: i64) -> usize {
    DURATION_EDGES.iter().position(|edge| talk_seconds < *edge).unwrap_or(DURATION_EDGES.len())
}

/// Start of the local hour containing `at` in `tz`, as an instant in µs. Across a DST change
/// the repeated local hour is two buckets, so days always split on local midnight.
#[must_use]
pub fn bucket_start(at: Timestamp, tz: &TimeZone) -> i64 {
    let offset = i64::from(tz.to_offset(at).seconds()) * 1_000_000;
    let local = at.as_microsecond() + offset;
    local.div_euclid(HOUR_MICROS) * HOUR_MICROS - offset
}

/// The row `call` counts in, and what it adds there.
#[must_use]
pub fn contribution(call: &Call, tz: &TimeZone) -> (RollupKey, Counters) {
    let key = RollupKey {
        bucket: bucket_start(call.started_at, tz),
        user_id: call.user_id,
        agent_id: call.agent_id,
        source: Source::as_str(&call.source).to_owned(),
        direction: call.direction,
    };
    (key, Counters::of(call))
}

/// How a change from `before` to `after` moves the rollups: at most two `(key, delta)` rows,
/// with no entry when nothing changed.
#[must_use]
pub fn rollup_delta(
    before: Option<&Call>,
    after: Option<&Call>,
    tz: &TimeZone,
) -> Vec<(RollupKey, Counters)> {
    let old = before.map(|call| contribution(call, tz));
    let new = after.map(|call| contribution(call, tz));
    match (old, new) {
        (Some((old_key, old_counts)), Some((new_key, mut new_counts))) if old_key == new_key => {
            new_counts.subtract(&old_counts);
            if new_counts.is_zero() { Vec::new() } else { vec![(new_key, new_counts)] }
        }
        (old, new) => {
            let removed = old.map(|(key, counts)| {
                let mut negative = Counters::default();
                negative.subtract(&counts);
                (key, negative)
            });
            removed.into_iter().chain(new).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::lifecycle::tests::call;

    fn instant(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn buckets_are_local_hours_across_dst() {
        let berlin = TimeZone::get("Europe/Berlin").expect("zone");
        // 2026-10-25 02:30 happens twice in Berlin: CEST (00:30Z) and then CET (01:30Z).
        let first = bucket_start(instant("2026-10-25T00:30:00Z"), &berlin);
        let second = bucket_start(instant("2026-10-25T01:30:00Z"), &berlin);
        assert_eq!(first, instant("2026-10-25T00:00:00Z").as_microsecond());
        assert_eq!(second, instant("2026-10-25T01:00:00Z").as_microsecond());
        let kolkata = TimeZone::get("Asia/Kolkata").expect("zone");
        assert_eq!(
            bucket_start(instant("2026-03-01T10:10:00Z"), &kolkata),
            instant("2026-03-01T09:30:00Z").as_microsecond(),
            "half-hour offsets bucket on local hours"
        );
    }

    #[test]
    fn histogram_edges() {
        assert_eq!(duration_bucket(0), 0);
        assert_eq!(duration_bucket(10), 1);
        assert_eq!(duration_bucket(1799), 6);
        assert_eq!(duration_bucket(7200), 7);
    }

    #[test]
    fn deltas_move_counts_between_rows() {
        let tz = TimeZone::UTC;
        let mut before = call(Direction::Inbound, 3600 * 5);
        before.ended_at = Some(before.started_at);
        before.status = CallStatus::Missed;
        let mut after = before.clone();
        assert!(rollup_delta(Some(&before), Some(&after), &tz).is_empty());
        after.started_at = instant("1970-01-01T09:00:00Z");
        let delta = rollup_delta(Some(&before), Some(&after), &tz);
        assert_eq!(delta.len(), 2);
        assert_eq!((delta[0].1.calls, delta[0].1.missed), (-1, -1));
        assert_eq!((delta[1].1.calls, delta[1].1.missed), (1, 1));
    }
}
