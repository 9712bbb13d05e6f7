//! The call record (CALL-1) and its timeline entries (CALL-4), as every layer sees them.

use jiff::Timestamp;
use uuid::Uuid;

use super::{CallStatus, Direction, EventType, Source, TimelineEntry, ring_seconds, talk_seconds};
use crate::{CallEventId, CallId, E164, RegionCode, UserId, WorkspaceId};

/// What a call cost, as the provider reported it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Decimal amount as the provider wrote it, e.g. `"0.0130"`.
    #[schema(example = "0.0130")]
    pub amount: String,
    /// ISO 4217 currency code.
    #[schema(example = "EUR")]
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub id: CallId,
    pub workspace_id: WorkspaceId,
    pub source: Source,
    pub external_id: Option<String>,
    pub direction: Direction,
    pub status: CallStatus,
    /// E.164 when the number parsed, otherwise as written (extensions, `anonymous`).
    pub from_number: Option<String>,
    pub from_name: Option<String>,
    pub to_number: Option<String>,
    pub to_name: Option<String>,
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub phone_number_id: Option<Uuid>,
    /// The call this leg was transferred from.
    pub parent_call_id: Option<CallId>,
    pub started_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<String>,
    pub sip_call_id: Option<String>,
    pub disposition: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// The remote number was on the do-not-call list when the call was logged.
    pub blocked: bool,
    pub has_recording: bool,
    /// The length of its longest recording, in seconds; the call's duration when it has no
    /// talk time of its own (a voicemail, a call logged without times).
    pub recorded_seconds: Option<i64>,
    pub quality: Option<serde_json::Value>,
    pub cost: Option<Cost>,
    /// The provider's original payloads, oldest first.
    pub raw: Vec<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Call {
    /// A call that started at `started_at` with `status` and nothing else known yet; set
    /// the rest with struct update syntax (`Call { to_number, ..Call::started(…) }`).
    #[must_use]
    pub fn started(
        workspace_id: WorkspaceId,
        source: Source,
        direction: Direction,
        status: CallStatus,
        started_at: Timestamp,
    ) -> Self {
        Self {
            id: CallId::new(),
            workspace_id,
            source,
            external_id: None,
            direction,
            status,
            from_number: None,
            from_name: None,
            to_number: None,
            to_name: None,
            user_id: None,
            agent_id: None,
            lead_id: None,
            phone_number_id: None,
            parent_call_id: None,
            started_at,
            answered_at: None,
            ended_at: None,
            end_reason: None,
            sip_call_id: None,
            disposition: None,
            notes: None,
            tags: Vec::new(),
            blocked: false,
            has_recording: false,
            recorded_seconds: None,
            quality: None,
            cost: None,
            raw: Vec::new(),
            created_at: started_at,
            updated_at: started_at,
        }
    }

    /// The party on the other side of the workspace.
    #[must_use]
    pub fn remote_number(&self) -> Option<&str> {
        match self.direction {
            Direction::Inbound => self.from_number.as_deref(),
            Direction::Outbound | Direction::Internal => self.to_number.as_deref(),
        }
    }

    /// The remote number when it is a valid E.164 number: what the do-not-call list (CRM-2)
    /// is matched against.
    #[must_use]
    pub fn remote_e164(&self) -> Option<E164> {
        self.remote_number().and_then(|number| E164::parse(number, None).ok())
    }

    /// The workspace's own side of the call.
    #[must_use]
    pub fn local_number(&self) -> Option<&str> {
        match self.direction {
            Direction::Inbound => self.to_number.as_deref(),
            Direction::Outbound | Direction::Internal => self.from_number.as_deref(),
        }
    }

    #[must_use]
    pub fn ring_seconds(&self) -> Option<i64> {
        ring_seconds(Some(self.started_at), self.answered_at, self.ended_at)
    }

    #[must_use]
    pub fn talk_seconds(&self) -> Option<i64> {
        talk_seconds(self.answered_at, self.ended_at)
    }

    /// Talk time, else the recording's length, else 0: what duration filters sort on.
    #[must_use]
    pub fn duration_seconds(&self) -> i64 {
        self.talk_seconds().or(self.recorded_seconds).unwrap_or(0)
    }
}

/// A number as stored: E.164 when it parses (with the workspace region for national
/// formats), otherwise the trimmed text, so nothing a provider sent is lost.
#[must_use]
pub fn stored_number(raw: &str, region: Option<&RegionCode>) -> String {
    E164::parse(raw, region).map_or_else(|_| raw.trim().to_owned(), |n| n.as_str().to_owned())
}

/// The digits of a stored number, reversed, so "ends with 4567" is a prefix lookup in an
/// ordinary index.
#[must_use]
pub fn reversed_digits(number: &str) -> String {
    number.chars().rev().filter(char::is_ascii_digit).collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallEvent {
    pub id: CallEventId,
    pub call_id: CallId,
    pub kind: EventType,
    pub at: Timestamp,
    /// Who caused it: `user:<id>`, `token:<id>`, `provider:<source>`, `system`.
    pub actor: Option<String>,
    pub data: serde_json::Value,
}

impl CallEvent {
    /// A new entry in `call`'s timeline.
    #[must_use]
    pub fn new(
        call_id: CallId,
        at: Timestamp,
        actor: Option<String>,
        entry: &TimelineEntry,
    ) -> Self {
        Self { id: CallEventId::new(), call_id, kind: entry.kind(), at, actor, data: entry.data() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalized_when_they_parse() {
        let de = RegionCode::parse("DE").ok();
        assert_eq!(stored_number("030 1234567", de.as_ref()), "+49301234567");
        assert_eq!(stored_number(" anonymous ", de.as_ref()), "anonymous");
        assert_eq!(reversed_digits("+49301234567"), "76543210394");
    }
}
