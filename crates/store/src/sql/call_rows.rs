//! The `calls` and `call_events` rows: columns, binding in one fixed order, decoding.

use callbase_domain::call::{
    Call, CallEvent, CallStatus, Cost, Direction, EventType, Source, reversed_digits,
};
use callbase_domain::{from_micros, to_micros};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// Every column, in the order `bind_call!` binds them (`$1` … `$37`).
pub(crate) const CALL_COLUMNS: &str = "c.id, c.workspace_id, c.source, c.external_id, \
     c.direction, c.status, c.from_number, c.from_name, c.to_number, c.to_name, \
     c.remote_number, c.from_rev, c.to_rev, c.user_id, c.agent_id, c.lead_id, \
     c.phone_number_id, c.parent_call_id, c.started_at, c.answered_at, c.ended_at, \
     c.ring_seconds, c.talk_seconds, c.duration, c.end_reason, c.sip_call_id, c.disposition, \
     c.notes, c.tags, c.blocked, c.has_recording, c.recorded_seconds, c.quality, c.cost, c.raw, c.created_at, \
     c.updated_at";

pub(crate) const INSERT_CALL: &str = "INSERT INTO calls (id, workspace_id, source, external_id, \
     direction, status, from_number, from_name, to_number, to_name, remote_number, from_rev, \
     to_rev, user_id, agent_id, lead_id, phone_number_id, parent_call_id, started_at, \
     answered_at, ended_at, ring_seconds, talk_seconds, duration, end_reason, sip_call_id, \
     disposition, notes, tags, blocked, has_recording, recorded_seconds, quality, cost, raw, \
     created_at, updated_at, fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
     $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, \
     $30, $31, $32, $33, $34, $35, $36, $37, $38)";

/// Rewrites every column but the id, workspace and creation time, bound as for the insert.
pub(crate) const UPDATE_CALL: &str = "UPDATE calls SET source = $3, external_id = $4, \
     direction = $5, status = $6, from_number = $7, from_name = $8, to_number = $9, \
     to_name = $10, remote_number = $11, from_rev = $12, to_rev = $13, user_id = $14, \
     agent_id = $15, lead_id = $16, phone_number_id = $17, parent_call_id = $18, \
     started_at = $19, answered_at = $20, ended_at = $21, ring_seconds = $22, \
     talk_seconds = $23, duration = $24, end_reason = $25, sip_call_id = $26, \
     disposition = $27, notes = $28, tags = $29, blocked = $30, has_recording = $31, \
     recorded_seconds = $32, quality = $33, cost = $34, raw = $35, updated_at = $37 \
     WHERE id = $1 AND workspace_id = $2 AND created_at = $36";

/// Binds `$call` (a `&Call`) to `$query` in `CALL_COLUMNS` order, with the derived columns.
macro_rules! bind_call {
    ($query:expr, $call:expr) => {{
        let call: &callbase_domain::call::Call = $call;
        let talk = call.talk_seconds();
        $query
            .bind(*call.id.as_uuid())
            .bind(*call.workspace_id.as_uuid())
            .bind(call.source.as_str())
            .bind(call.external_id.as_deref())
            .bind(call.direction.as_str())
            .bind(call.status.as_str())
            .bind(call.from_number.as_deref())
            .bind(call.from_name.as_deref())
            .bind(call.to_number.as_deref())
            .bind(call.to_name.as_deref())
            .bind(call.remote_number())
            .bind(call.from_number.as_deref().map(callbase_domain::call::reversed_digits))
            .bind(call.to_number.as_deref().map(callbase_domain::call::reversed_digits))
            .bind(call.user_id.map(uuid::Uuid::from))
            .bind(call.agent_id)
            .bind(call.lead_id)
            .bind(call.phone_number_id)
            .bind(call.parent_call_id.map(uuid::Uuid::from))
            .bind(callbase_domain::to_micros(call.started_at))
            .bind(call.answered_at.map(callbase_domain::to_micros))
            .bind(call.ended_at.map(callbase_domain::to_micros))
            .bind(call.ring_seconds())
            .bind(talk)
            .bind(call.duration_seconds())
            .bind(call.end_reason.as_deref())
            .bind(call.sip_call_id.as_deref())
            .bind(call.disposition.as_deref())
            .bind(call.notes.as_deref())
            .bind(sqlx::types::Json(&call.tags))
            .bind(call.blocked)
            .bind(call.has_recording)
            .bind(call.recorded_seconds)
            .bind(call.quality.as_ref().map(sqlx::types::Json))
            .bind(call.cost.as_ref().map(sqlx::types::Json))
            .bind(sqlx::types::Json(&call.raw))
            .bind(callbase_domain::to_micros(call.created_at))
            .bind(callbase_domain::to_micros(call.updated_at))
    }};
}
pub(crate) use bind_call;

#[derive(sqlx::FromRow)]
pub(crate) struct CallRow {
    id: Uuid,
    workspace_id: Uuid,
    source: String,
    external_id: Option<String>,
    direction: String,
    status: String,
    from_number: Option<String>,
    from_name: Option<String>,
    to_number: Option<String>,
    to_name: Option<String>,
    user_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    phone_number_id: Option<Uuid>,
    parent_call_id: Option<Uuid>,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    end_reason: Option<String>,
    sip_call_id: Option<String>,
    disposition: Option<String>,
    notes: Option<String>,
    tags: Json<Vec<String>>,
    blocked: bool,
    has_recording: bool,
    recorded_seconds: Option<i64>,
    quality: Option<Json<Value>>,
    cost: Option<Json<Cost>>,
    raw: Json<Vec<Value>>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<CallRow> for Call {
    type Error = StoreError;

    fn try_from(row: CallRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id.into(),
            workspace_id: row.workspace_id.into(),
            source: Source::parse(&row.source)
                .map_err(|e| StoreError::corrupt("calls.source", e))?,
            external_id: row.external_id,
            direction: row
                .direction
                .parse::<Direction>()
                .map_err(|e| StoreError::corrupt("calls.direction", e))?,
            status: row
                .status
                .parse::<CallStatus>()
                .map_err(|e| StoreError::corrupt("calls.status", e))?,
            from_number: row.from_number,
            from_name: row.from_name,
            to_number: row.to_number,
            to_name: row.to_name,
            user_id: row.user_id.map(Into::into),
            agent_id: row.agent_id,
            lead_id: row.lead_id,
            phone_number_id: row.phone_number_id,
            parent_call_id: row.parent_call_id.map(Into::into),
            started_at: from_micros(row.started_at),
            answered_at: row.answered_at.map(from_micros),
            ended_at: row.ended_at.map(from_micros),
            end_reason: row.end_reason,
            sip_call_id: row.sip_call_id,
            disposition: row.disposition,
            notes: row.notes,
            tags: row.tags.0,
            blocked: row.blocked,
            has_recording: row.has_recording,
            recorded_seconds: row.recorded_seconds,
            quality: row.quality.map(|json| json.0),
            cost: row.cost.map(|json| json.0),
            raw: row.raw.0,
            created_at: from_micros(row.created_at),
            updated_at: from_micros(row.updated_at),
        })
    }
}

pub(crate) const EVENT_COLUMNS: &str = "e.id, e.call_id, e.type, e.at, e.actor, e.data";

pub(crate) const INSERT_EVENT: &str =
    "INSERT INTO call_events (id, call_id, type, at, actor, data) VALUES ($1, $2, $3, $4, $5, $6)";

/// Appends the `CallEvent`s of `$events` through `$executor`.
macro_rules! insert_events {
    ($executor:expr, $events:expr) => {{
        let mut result: Result<(), sqlx::Error> = Ok(());
        for event in $events {
            let event: &callbase_domain::call::CallEvent = event;
            let query = sqlx::query($crate::sql::call_rows::INSERT_EVENT);
            let query = $crate::sql::import::bind_event_columns!(query, event);
            if let Err(err) = query.execute(&mut *$executor).await {
                result = Err(err);
                break;
            }
        }
        result
    }};
}
pub(crate) use insert_events;

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: Uuid,
    call_id: Uuid,
    #[sqlx(rename = "type")]
    kind: String,
    at: i64,
    actor: Option<String>,
    data: Json<Value>,
}

impl TryFrom<EventRow> for CallEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id.into(),
            call_id: row.call_id.into(),
            kind: row
                .kind
                .parse::<EventType>()
                .map_err(|e| StoreError::corrupt("call_events.type", e))?,
            at: from_micros(row.at),
            actor: row.actor,
            data: row.data.0,
        })
    }
}

/// The sort key a call has under `sort`, for cursors.
pub(crate) fn sort_key(call: &Call, sort: crate::CallSort) -> i64 {
    match sort {
        crate::CallSort::StartedAt => to_micros(call.started_at),
        crate::CallSort::Duration => call.talk_seconds().unwrap_or(0),
    }
}

/// The `[low, high)` range of reversed-digit strings that end with `digits`.
pub(crate) fn suffix_range(digits: &str) -> (String, String) {
    let low = reversed_digits(digits);
    // Digits sort below ':', so "low:" bounds every string that starts with `low`.
    let high = format!("{low}:");
    (low, high)
}

/// A stored status, or `Corrupt` naming the column.
pub(crate) fn parse_status(raw: &str) -> StoreResult<CallStatus> {
    raw.parse::<CallStatus>().map_err(|e| StoreError::corrupt("calls.status", e))
}
