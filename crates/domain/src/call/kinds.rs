//! The small closed vocabularies of a call: its direction, where it came from, what a
//! timeline entry records.

use std::fmt;
use std::str::FromStr;

/// Which way a call went, seen from the workspace.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
}

/// What a timeline entry records (CALL-4).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    StatusChanged,
    Hold,
    Unhold,
    Mute,
    Unmute,
    Transfer,
    Dtmf,
    RecordingStarted,
    RecordingStopped,
    Note,
    Quality,
    Custom,
}

/// Both enums are stored and queried by their wire name.
macro_rules! named {
    ($type:ident, $error:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $type {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| UnknownName { what: $error, name: s.to_owned() })
            }
        }
    };
}

named!(Direction, "direction", {
    Inbound => "inbound",
    Outbound => "outbound",
    Internal => "internal",
});

named!(EventType, "event type", {
    StatusChanged => "status_changed",
    Hold => "hold",
    Unhold => "unhold",
    Mute => "mute",
    Unmute => "unmute",
    Transfer => "transfer",
    Dtmf => "dtmf",
    RecordingStarted => "recording_started",
    RecordingStopped => "recording_stopped",
    Note => "note",
    Quality => "quality",
    Custom => "custom",
});

impl EventType {
    /// What a client appends to a timeline itself: status, hold and transfer entries are
    /// written by the actions that change the call.
    pub const APPENDABLE: &'static [Self] = &[
        Self::Mute,
        Self::Unmute,
        Self::Dtmf,
        Self::RecordingStarted,
        Self::RecordingStopped,
        Self::Note,
        Self::Quality,
        Self::Custom,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

/// Where a call was logged from: `api`, `manual`, `twilio`, `sip`, … (lowercase letters,
/// digits, `_` and `-`, 1 to 32 characters), so integrations can add their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "twilio", pattern = "^[a-z0-9_-]{1,32}$")]
pub struct Source(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a source is 1 to 32 lowercase letters, digits, '_' or '-', got {0:?}")]
pub struct SourceError(pub String);

impl Source {
    pub fn parse(raw: &str) -> Result<Self, SourceError> {
        let valid = (1..=32).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if valid { Ok(Self(raw.to_owned())) } else { Err(SourceError(raw.to_owned())) }
    }

    /// Calls logged through `POST /calls` without a source.
    #[must_use]
    pub fn api() -> Self {
        Self("api".to_owned())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for direction in Direction::ALL {
            assert_eq!(direction.as_str().parse::<Direction>(), Ok(*direction));
        }
        for kind in EventType::ALL {
            let json = serde_json::to_string(kind).unwrap_or_default();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(kind.as_str().parse::<EventType>(), Ok(*kind));
        }
        assert!("sideways".parse::<Direction>().is_err());
    }

    #[test]
    fn clients_append_everything_but_what_the_actions_write() {
        let written_by_actions =
            [EventType::StatusChanged, EventType::Hold, EventType::Unhold, EventType::Transfer];
        for kind in EventType::ALL {
            assert_eq!(
                EventType::APPENDABLE.contains(kind),
                !written_by_actions.contains(kind),
                "{kind}"
            );
        }
    }

    #[test]
    fn sources() {
        assert!(Source::parse("twilio").is_ok());
        assert!(Source::parse("sip-pbx_2").is_ok());
        for bad in ["", "Twilio", "a b", "../x", &"x".repeat(33)] {
            assert!(Source::parse(bad).is_err(), "{bad:?}");
        }
    }
}
