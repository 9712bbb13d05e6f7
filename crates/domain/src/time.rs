//! Instants: RFC 3339 UTC on the wire, whole microseconds in storage.

pub use jiff::Timestamp;

/// Now, truncated to whole microseconds so that what we store reads back identical.
#[must_use]
pub fn now() -> Timestamp {
    from_micros(to_micros(Timestamp::now()))
}

#[must_use]
pub fn to_micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

/// Out-of-range values (never written by us) clamp to the representable range.
#[must_use]
pub fn from_micros(micros: i64) -> Timestamp {
    Timestamp::from_microsecond(micros).unwrap_or(if micros < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip() {
        let at = now();
        assert_eq!(from_micros(to_micros(at)), at);
        assert_eq!(from_micros(i64::MAX), Timestamp::MAX);
    }
}
