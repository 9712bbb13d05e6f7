//! What a timeline entry's `data` holds: one typed shape per entry type (CALL-4). Every
//! writer builds entries from [`TimelineEntry`], so the type and its data cannot disagree;
//! what clients append is parsed into it at the edge.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CallStatus, EventType};
use crate::{CallId, RecordingId, UserId};

/// A status the call was asked to take, and whether it took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The status reported or asked for.
    pub status: CallStatus,
    /// False when it came late or repeated, or the lifecycle did not allow it: kept in the
    /// timeline without moving the call.
    pub applied: bool,
    /// The call's status after this entry.
    pub current: CallStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    /// The SIP response code that ended the call, when the source gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_code: Option<u16>,
}

/// Hold or resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldChange {
    /// False for a hold that came after the call ended.
    pub applied: bool,
    pub current: CallStatus,
}

/// A transfer, and the leg it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferEntry {
    pub to_number: Option<String>,
    pub to_user_id: Option<UserId>,
    pub leg_call_id: CallId,
}

/// Keys pressed: `0`–`9`, `*`, `#`, `A`–`D`, up to 64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dtmf {
    #[schema(pattern = "^[0-9*#A-D]{1,64}$", example = "1#")]
    pub digits: String,
}

/// Who muted or unmuted, when the source says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub party: Option<String>,
}

/// A recording starting or stopping, and which one when it is known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordingMark {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<RecordingId>,
}

/// A note in the call's story.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10000)]
    pub text: Option<String>,
}

/// A reading of the call's audio quality at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityReading {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mos: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet_loss_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64)]
    pub codec: Option<String>,
}

/// One timeline entry's type with its data.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineEntry {
    StatusChanged(StatusChange),
    Hold(HoldChange),
    Unhold(HoldChange),
    Transfer(TransferEntry),
    Dtmf(Dtmf),
    Mute(MuteChange),
    Unmute(MuteChange),
    RecordingStarted(RecordingMark),
    RecordingStopped(RecordingMark),
    Note(NoteEntry),
    Quality(QualityReading),
    /// Anything else a source wants kept: an object of its own shape.
    Custom(Map<String, Value>),
}

/// Why an appended entry's data does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data does not fit a {kind} entry: {reason}")]
pub struct EntryDataError {
    pub kind: EventType,
    pub reason: String,
}

impl TimelineEntry {
    #[must_use]
    pub const fn kind(&self) -> EventType {
        match self {
            Self::StatusChanged(_) => EventType::StatusChanged,
            Self::Hold(_) => EventType::Hold,
            Self::Unhold(_) => EventType::Unhold,
            Self::Transfer(_) => EventType::Transfer,
            Self::Dtmf(_) => EventType::Dtmf,
            Self::Mute(_) => EventType::Mute,
            Self::Unmute(_) => EventType::Unmute,
            Self::RecordingStarted(_) => EventType::RecordingStarted,
            Self::RecordingStopped(_) => EventType::RecordingStopped,
            Self::Note(_) => EventType::Note,
            Self::Quality(_) => EventType::Quality,
            Self::Custom(_) => EventType::Custom,
        }
    }

    /// The data as stored and answered.
    #[must_use]
    pub fn data(&self) -> Value {
        let value = match self {
            Self::StatusChanged(data) => serde_json::to_value(data),
            Self::Hold(data) | Self::Unhold(data) => serde_json::to_value(data),
            Self::Transfer(data) => serde_json::to_value(data),
            Self::Dtmf(data) => serde_json::to_value(data),
            Self::Mute(data) | Self::Unmute(data) => serde_json::to_value(data),
            Self::RecordingStarted(data) | Self::RecordingStopped(data) => {
                serde_json::to_value(data)
            }
            Self::Note(data) => serde_json::to_value(data),
            Self::Quality(data) => serde_json::to_value(data),
            Self::Custom(data) => return Value::Object(data.clone()),
        };
        // Plain structs of strings, numbers and ids always serialize.
        value.unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// Reads `data` as the shape of `kind` (an absent `data` is `{}`).
    ///
    /// # Errors
    /// When `data` is not an object of that shape.
    pub fn parse(kind: EventType, data: Value) -> Result<Self, EntryDataError> {
        fn shape<T: serde::de::DeserializeOwned>(
            kind: EventType,
            data: Value,
        ) -> Result<T, EntryDataError> {
            serde_json::from_value(data)
                .map_err(|err| EntryDataError { kind, reason: err.to_string() })
        }
        let Value::Object(object) = data else {
            return Err(EntryDataError { kind, reason: "must be a JSON object".into() });
        };
        let data = Value::Object(object);
        let entry = match kind {
            EventType::StatusChanged => Self::StatusChanged(shape(kind, data)?),
            EventType::Hold => Self::Hold(shape(kind, data)?),
            EventType::Unhold => Self::Unhold(shape(kind, data)?),
            EventType::Transfer => Self::Transfer(shape(kind, data)?),
            EventType::Dtmf => {
                let dtmf: Dtmf = shape(kind, data)?;
                let keys = dtmf.digits.chars().all(|c| c.is_ascii_digit() || "*#ABCD".contains(c));
                if dtmf.digits.is_empty() || dtmf.digits.len() > 64 || !keys {
                    return Err(EntryDataError {
                        kind,
                        reason: "digits are 1 to 64 of 0-9, *, #, A-D".into(),
                    });
                }
                Self::Dtmf(dtmf)
            }
            EventType::Mute => Self::Mute(limited(kind, shape(kind, data)?)?),
            EventType::Unmute => Self::Unmute(limited(kind, shape(kind, data)?)?),
            EventType::RecordingStarted => Self::RecordingStarted(shape(kind, data)?),
            EventType::RecordingStopped => Self::RecordingStopped(shape(kind, data)?),
            EventType::Note => {
                let note: NoteEntry = shape(kind, data)?;
                at_most(kind, "text", note.text.as_deref(), 10_000)?;
                Self::Note(note)
            }
            EventType::Quality => {
                let reading: QualityReading = shape(kind, data)?;
                at_most(kind, "codec", reading.codec.as_deref(), 64)?;
                Self::Quality(reading)
            }
            EventType::Custom => match data {
                Value::Object(object) => Self::Custom(object),
                _ => Self::Custom(Map::new()),
            },
        };
        Ok(entry)
    }
}

/// A mute change whose party fits its limit.
fn limited(kind: EventType, change: MuteChange) -> Result<MuteChange, EntryDataError> {
    at_most(kind, "party", change.party.as_deref(), 64)?;
    Ok(change)
}

/// Refuses text longer than `max` characters, as a schema's `maxLength` counts them.
fn at_most(
    kind: EventType,
    member: &str,
    text: Option<&str>,
    max: usize,
) -> Result<(), EntryDataError> {
    if text.is_some_and(|text| text.chars().count() > max) {
        return Err(EntryDataError {
            kind,
            reason: format!("{member} must be at most {max} characters"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_parses_back_what_it_writes() {
        let entries = [
            TimelineEntry::StatusChanged(StatusChange {
                status: CallStatus::Busy,
                applied: true,
                current: CallStatus::Busy,
                end_reason: Some("busy".into()),
                sip_code: Some(486),
            }),
            TimelineEntry::Hold(HoldChange { applied: true, current: CallStatus::OnHold }),
            TimelineEntry::Transfer(TransferEntry {
                to_number: Some("+4930123".into()),
                to_user_id: None,
                leg_call_id: CallId::new(),
            }),
            TimelineEntry::Dtmf(Dtmf { digits: "1#".into() }),
            TimelineEntry::Mute(MuteChange::default()),
            TimelineEntry::RecordingStarted(RecordingMark::default()),
            TimelineEntry::Note(NoteEntry { text: Some("called back".into()) }),
            TimelineEntry::Quality(QualityReading { mos: Some(4.1), ..Default::default() }),
            TimelineEntry::Custom(Map::from_iter([("k".to_owned(), json!(1))])),
        ];
        for entry in entries {
            assert_eq!(TimelineEntry::parse(entry.kind(), entry.data()), Ok(entry.clone()));
        }
    }

    #[test]
    fn data_of_another_shape_is_refused_naming_the_type() {
        let wrong = TimelineEntry::parse(EventType::Dtmf, json!({ "text": "hi" }));
        assert!(wrong.is_err_and(|e| e.to_string().contains("dtmf")));
        assert!(TimelineEntry::parse(EventType::Dtmf, json!({ "digits": "12x" })).is_err());
        assert!(TimelineEntry::parse(EventType::Note, json!([1])).is_err());
        assert!(TimelineEntry::parse(EventType::Mute, json!({})).is_ok());
        let long = "x".repeat(65);
        assert!(TimelineEntry::parse(EventType::Mute, json!({ "party": long })).is_err());
    }
}
