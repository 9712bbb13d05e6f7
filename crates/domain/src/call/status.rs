//! The call lifecycle (CALL-2): which status changes apply, which are late or repeated
//! (kept in the timeline, status unchanged), and which are impossible (409).

use std::fmt;
use std::str::FromStr;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Initiated,
    Ringing,
    InProgress,
    OnHold,
    Completed,
    Busy,
    NoAnswer,
    Missed,
    Failed,
    Canceled,
}

/// What an incoming status does to a call that has `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The call moves to the new status.
    Apply,
    /// A late or replayed event: recorded in the timeline, the status stays.
    Ignore,
    /// A change no call can make, answered 409 `illegal_transition`.
    Illegal,
}

impl CallStatus {
    pub const ALL: [Self; 10] = [
        Self::Initiated,
        Self::Ringing,
        Self::InProgress,
        Self::OnHold,
        Self::Completed,
        Self::Busy,
        Self::NoAnswer,
        Self::Missed,
        Self::Failed,
        Self::Canceled,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Initiated => "initiated",
            Self::Ringing => "ringing",
            Self::InProgress => "in_progress",
            Self::OnHold => "on_hold",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "no_answer",
            Self::Missed => "missed",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// The call is over; nothing moves it again.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::Busy
                | Self::NoAnswer
                | Self::Missed
                | Self::Failed
                | Self::Canceled
        )
    }

    /// Someone picked up: the call is or was connected.
    #[must_use]
    pub const fn is_connected(self) -> bool {
        matches!(self, Self::InProgress | Self::OnHold)
    }

    /// How far along the lifecycle a status is; later events never move a call back.
    const fn stage(self) -> u8 {
        match self {
            Self::Initiated => 0,
            Self::Ringing => 1,
            Self::InProgress | Self::OnHold => 2,
            _ => 3,
        }
    }

    /// Outcomes that mean nobody ever picked up.
    const fn is_unanswered_outcome(self) -> bool {
        matches!(self, Self::Busy | Self::NoAnswer | Self::Missed | Self::Canceled)
    }

    /// What `to` does to a call that is `self`.
    #[must_use]
    pub const fn transition(self, to: Self) -> Transition {
        if self as u8 == to as u8 || self.is_final() {
            // Replays, and anything after the end (a late `ringing` after `completed`).
            return Transition::Ignore;
        }
        if to.stage() < self.stage() {
            return Transition::Ignore;
        }
        match (self, to) {
            // Hold and resume only on a connected call.
            (Self::InProgress, Self::OnHold) | (Self::OnHold, Self::InProgress) => {
                Transition::Apply
            }
            (_, Self::OnHold) => Transition::Illegal,
            // Once answered, a call cannot turn out busy, unanswered, missed or canceled.
            (from, outcome) if from.is_connected() && outcome.is_unanswered_outcome() => {
                Transition::Illegal
            }
            _ => Transition::Apply,
        }
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown call status {0:?}")]
pub struct CallStatusError(pub String);

impl FromStr for CallStatus {
    type Err = CallStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| CallStatusError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (from, to) pair. Rows are `from`, columns `to`, both in `CallStatus::ALL` order:
    /// initiated ringing in_progress on_hold completed busy no_answer missed failed canceled.
    /// `A` applies, `.` is ignored (late or replayed), `X` is illegal.
    const EXPECTED: [&str; 10] = [
        ".AAXAAAAAA", // initiated
        "..AXAAAAAA", // ringing
        "...AAXXXAX", // in_progress
        "..A.AXXXAX", // on_hold
        "..........", // completed
        "..........", // busy
        "..........", // no_answer
        "..........", // missed
        "..........", // failed
        "..........", // canceled
    ];

    #[test]
    fn every_pair_of_statuses() {
        for (row, from) in CallStatus::ALL.into_iter().enumerate() {
            for (column, to) in CallStatus::ALL.into_iter().enumerate() {
                let expected = match EXPECTED[row].as_bytes()[column] {
                    b'A' => Transition::Apply,
                    b'.' => Transition::Ignore,
                    _ => Transition::Illegal,
                };
                assert_eq!(from.transition(to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for status in CallStatus::ALL {
            assert_eq!(status.as_str().parse::<CallStatus>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap_or_default();
            assert_eq!(json, format!("\"{status}\""));
        }
        assert!("ringing ".parse::<CallStatus>().is_err());
    }
}
