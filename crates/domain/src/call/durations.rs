//! Ring and talk time, always derived from the call's timestamps, never taken from clients.

use jiff::Timestamp;

/// Whole seconds between two instants, rounded to the nearest; clock skew never goes negative.
fn seconds_between(from: Timestamp, to: Timestamp) -> i64 {
    let micros = to.as_microsecond() - from.as_microsecond();
    ((micros.max(0) + 500_000) / 1_000_000).max(0)
}

/// From the start until someone answered, or until the end for a call nobody answered.
#[must_use]
pub fn ring_seconds(
    started_at: Option<Timestamp>,
    answered_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
) -> Option<i64> {
    Some(seconds_between(started_at?, answered_at.or(ended_at)?))
}

/// From the answer until the end; `None` until both are known.
#[must_use]
pub fn talk_seconds(answered_at: Option<Timestamp>, ended_at: Option<Timestamp>) -> Option<i64> {
    Some(seconds_between(answered_at?, ended_at?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: f64) -> Option<Timestamp> {
        #[allow(clippy::cast_possible_truncation)]
        Timestamp::from_microsecond((seconds * 1_000_000.0) as i64).ok()
    }

    #[test]
    fn answered_calls_ring_then_talk() {
        assert_eq!(ring_seconds(at(100.0), at(112.4), at(190.0)), Some(12));
        assert_eq!(talk_seconds(at(112.4), at(190.0)), Some(78));
        assert_eq!(talk_seconds(at(0.0), at(0.5)), Some(1), "half a second rounds up");
    }

    #[test]
    fn unanswered_calls_ring_until_the_end() {
        assert_eq!(ring_seconds(at(100.0), None, at(130.0)), Some(30));
        assert_eq!(talk_seconds(None, at(130.0)), None);
    }

    #[test]
    fn unknown_or_skewed_times() {
        assert_eq!(ring_seconds(None, at(1.0), at(2.0)), None);
        assert_eq!(ring_seconds(at(1.0), None, None), None, "still ringing");
        assert_eq!(talk_seconds(at(50.0), at(40.0)), Some(0), "a skewed clock never goes negative");
    }
}
