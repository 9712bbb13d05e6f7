//! How a call reads from outside (the API, exports): `CallOut`, its timeline entries, what a
//! command did.

use callbase_domain::call::{Call, CallEvent, CallStatus, Cost, Direction, EventType, Source};
use callbase_domain::{CallEventId, CallId, Timestamp, UserId, WorkspaceId};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A call (CALL-1). Durations are derived from the timestamps.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallOut {
    pub id: CallId,
    pub workspace_id: WorkspaceId,
    pub source: Source,
    pub external_id: Option<String>,
    pub direction: Direction,
    pub status: CallStatus,
    pub from_number: Option<String>,
    pub from_name: Option<String>,
    pub to_number: Option<String>,
    pub to_name: Option<String>,
    /// The party on the other side of the workspace.
    pub remote_number: Option<String>,
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub phone_number_id: Option<Uuid>,
    /// The call this leg was transferred from.
    pub parent_call_id: Option<CallId>,
    pub started_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub ring_seconds: Option<i64>,
    pub talk_seconds: Option<i64>,
    /// Talk time; for a call without any (a voicemail, a call logged without times), the
    /// length of its longest recording; else 0. What `min_duration` and `sort=duration` use.
    pub duration_seconds: i64,
    pub end_reason: Option<String>,
    pub sip_call_id: Option<String>,
    pub disposition: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// The remote number was on the do-not-call list when the call was logged.
    pub blocked: bool,
    pub has_recording: bool,
    #[schema(value_type = Option<Object>)]
    pub quality: Option<serde_json::Value>,
    pub cost: Option<Cost>,
    /// The provider's original payloads.
    #[schema(value_type = Vec<Object>)]
    pub raw: Vec<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Call> for CallOut {
    fn from(call: Call) -> Self {
        Self {
            remote_number: call.remote_number().map(str::to_owned),
            ring_seconds: call.ring_seconds(),
            talk_seconds: call.talk_seconds(),
            duration_seconds: call.duration_seconds(),
            id: call.id,
            workspace_id: call.workspace_id,
            source: call.source,
            external_id: call.external_id,
            direction: call.direction,
            status: call.status,
            from_number: call.from_number,
            from_name: call.from_name,
            to_number: call.to_number,
            to_name: call.to_name,
            user_id: call.user_id,
            agent_id: call.agent_id,
            lead_id: call.lead_id,
            phone_number_id: call.phone_number_id,
            parent_call_id: call.parent_call_id,
            started_at: call.started_at,
            answered_at: call.answered_at,
            ended_at: call.ended_at,
            end_reason: call.end_reason,
            sip_call_id: call.sip_call_id,
            disposition: call.disposition,
            notes: call.notes,
            tags: call.tags,
            blocked: call.blocked,
            has_recording: call.has_recording,
            quality: call.quality,
            cost: call.cost,
            raw: call.raw,
            created_at: call.created_at,
            updated_at: call.updated_at,
        }
    }
}

/// One timeline entry (CALL-4).
#[derive(Debug, Serialize, ToSchema)]
pub struct CallEventOut {
    pub id: CallEventId,
    pub call_id: CallId,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub at: Timestamp,
    /// Who caused it: `user:<id>`, `provider:<source>`, `system`.
    pub actor: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<CallEvent> for CallEventOut {
    fn from(event: CallEvent) -> Self {
        Self {
            id: event.id,
            call_id: event.call_id,
            kind: event.kind,
            at: event.at,
            actor: event.actor,
            data: event.data,
        }
    }
}

/// A call with its timeline, in time order, and its legs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDetailOut {
    #[serde(flatten)]
    pub call: CallOut,
    pub timeline: Vec<CallEventOut>,
    /// The calls whose `parent_call_id` is this one (transfers, a provider's child legs),
    /// oldest first.
    pub legs: Vec<CallOut>,
}

/// A timeline entry appended: the call's id and (unchanged) status, and the entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineAppendOut {
    pub call_id: CallId,
    pub status: CallStatus,
    pub events: Vec<CallEventOut>,
}

/// What an action did: the call after it, the entries it added, the leg a transfer made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallActionOut {
    pub call: CallOut,
    pub events: Vec<CallEventOut>,
    pub leg: Option<CallOut>,
}
