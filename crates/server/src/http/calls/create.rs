//! `POST /calls` (log any call, idempotent on `(source, external_id)`) and
//! `POST /calls/outbound` (start a call, checked against the do-not-call list).

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::call::{
    Call, CallEvent, CallStatus, Cost, Direction, EventType, Source, stored_number,
};
use callbase_domain::{CallEventId, CallId, E164, Role, Timestamp, UserId, WorkspaceId, now};
use callbase_store::Logged;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use uuid::Uuid;

use super::input::{CallBody, object, tags, tags_schema, text};
use super::model::CallOut;
use super::{actor, check_assignment, check_user, workspace_region};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::state::AppState;

/// A call to log, as it happened or as it is happening.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CallFields)]
pub struct CallIn {
    /// Where the call comes from; `api` when omitted.
    pub source: Option<Source>,
    /// The provider's id: logging the same call again returns it instead of a duplicate.
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    pub direction: Direction,
    /// Derived from the timestamps when omitted.
    pub status: Option<CallStatus>,
    /// Any format; stored as E.164 when it parses (national formats with the workspace
    /// region), otherwise as written.
    #[schema(max_length = 64)]
    pub from_number: Option<String>,
    #[schema(max_length = 200)]
    pub from_name: Option<String>,
    #[schema(max_length = 64)]
    pub to_number: Option<String>,
    #[schema(max_length = 200)]
    pub to_name: Option<String>,
    /// A member of the workspace.
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub phone_number_id: Option<Uuid>,
    /// Now when omitted, or `answered_at` or `ended_at` when that was earlier.
    pub started_at: Option<Timestamp>,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    #[schema(max_length = 200)]
    pub end_reason: Option<String>,
    #[schema(max_length = 200)]
    pub sip_call_id: Option<String>,
    #[schema(max_length = 200)]
    pub disposition: Option<String>,
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Vec<String>,
    pub cost: Option<Cost>,
    #[schema(value_type = Option<Object>)]
    pub quality: Option<serde_json::Value>,
    /// The provider's original payload, kept as is.
    #[schema(value_type = Option<Object>)]
    pub raw: Option<serde_json::Value>,
}

/// The status the timestamps imply when the client gives none.
fn implied_status(direction: Direction, answered: bool, ended: bool) -> CallStatus {
    match (answered, ended, direction) {
        (true, true, _) => CallStatus::Completed,
        (true, false, _) => CallStatus::InProgress,
        (false, true, Direction::Inbound) => CallStatus::Missed,
        (false, true, _) => CallStatus::NoAnswer,
        (false, false, _) => CallStatus::Ringing,
    }
}

/// Refuses timestamps and a status that contradict each other.
fn check_consistency(
    status: CallStatus,
    started_at: Timestamp,
    answered_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
) -> ApiResult<()> {
    if answered_at.is_some_and(|answered| answered < started_at) {
        return Err(ApiError::invalid_field("answered_at", "must not be before started_at"));
    }
    if ended_at.is_some_and(|ended| ended < answered_at.unwrap_or(started_at)) {
        return Err(ApiError::invalid_field(
            "ended_at",
            "must not be before started_at or answered_at",
        ));
    }
    let answered =
        matches!(status, CallStatus::InProgress | CallStatus::OnHold | CallStatus::Completed);
    if answered && answered_at.is_none() {
        return Err(ApiError::invalid_field(
            "answered_at",
            format!("required for a {status} call"),
        ));
    }
    let unanswered = !answered && status != CallStatus::Failed;
    if unanswered && answered_at.is_some() {
        return Err(ApiError::invalid_field(
            "answered_at",
            format!("a {status} call was never answered"),
        ));
    }
    if status.is_final() && ended_at.is_none() {
        return Err(ApiError::invalid_field("ended_at", format!("required for a {status} call")));
    }
    if !status.is_final() && ended_at.is_some() {
        return Err(ApiError::invalid_field(
            "status",
            format!("a call that ended cannot be {status}"),
        ));
    }
    Ok(())
}

/// The timeline a logged call starts with: one entry per moment its timestamps record.
fn initial_timeline(call: &Call, actor: &str) -> Vec<CallEvent> {
    let entry = |status: CallStatus, at: Timestamp| CallEvent {
        id: CallEventId::new(),
        call_id: call.id,
        kind: EventType::StatusChanged,
        at,
        actor: Some(actor.to_owned()),
        data: json!({ "status": status, "applied": true, "current": status }),
    };
    let first = match call.status {
        CallStatus::Initiated => CallStatus::Initiated,
        _ => CallStatus::Ringing,
    };
    let mut events = vec![entry(first, call.started_at)];
    if let Some(answered) = call.answered_at {
        events.push(entry(CallStatus::InProgress, answered));
    }
    if let Some(ended) = call.ended_at {
        events.push(entry(call.status, ended));
    }
    if call.status == CallStatus::OnHold {
        events.push(entry(CallStatus::OnHold, call.answered_at.unwrap_or(call.started_at)));
    }
    events
}

fn fingerprint(input: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(input).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// True when the remote number is on the workspace's do-not-call list now.
async fn is_blocked(state: &AppState, workspace: WorkspaceId, call: &Call) -> ApiResult<bool> {
    let Some(number) = call.remote_number().and_then(|n| E164::parse(n, None).ok()) else {
        return Ok(false);
    };
    Ok(!state.store.blocking_entries(workspace, &number, now()).await?.is_empty())
}

/// Stores a new call, or answers for the one already logged under its external id.
async fn log(
    state: &AppState,
    call: Call,
    print: &str,
    events: &[CallEvent],
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    match state.store.create_call(&call, Some(print), events).await? {
        Logged::Created(call) => Ok((StatusCode::CREATED, Json(call.into()))),
        Logged::Existing { call, fingerprint } if fingerprint.as_deref() == Some(print) => {
            Ok((StatusCode::OK, Json(call.into())))
        }
        Logged::Existing { call, .. } => Err(ApiError::new(
            ErrorCode::CallConflict,
            "a different call was already logged with this source and external_id",
        )
        .with_details(json!({ "call_id": call.id, "field": "external_id" }))),
    }
}

/// Logs a call. A retry with the same `external_id` and the same body answers 200 with the
/// call logged the first time; a different body under that `external_id` answers 409.
#[utoipa::path(post, path = "/calls", tag = "calls", request_body = CallBody,
    responses((status = 201, body = CallOut), (status = 200, body = CallOut,
        description = "Logged before with this source and external_id"),
        (status = 404, body = ErrorBody, description = "user_not_found: `user_id`"),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_call(
    State(state): State<AppState>,
    principal: Principal,
    Json(mut input): Json<CallIn>,
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    let workspace = principal.require_write()?;
    // An agent logs calls as their own. The retry fingerprint covers the user, so replaying
    // a colleague's payload answers 409 instead of handing back their call.
    if principal.role()? == Role::Agent && input.user_id.is_none() {
        input.user_id = Some(principal.user.id);
    }
    let print = fingerprint(&input);
    let region = workspace_region(&state, workspace).await?;
    let number = |raw: Option<String>, field: &str| -> ApiResult<Option<String>> {
        Ok(text(field, raw, 64)?.map(|raw| stored_number(&raw, region.as_ref())))
    };
    // A call cannot be answered or end before it started.
    let started_at = input.started_at.unwrap_or_else(|| {
        [input.answered_at, input.ended_at].into_iter().flatten().fold(now(), Timestamp::min)
    });
    let status = input.status.unwrap_or_else(|| {
        implied_status(input.direction, input.answered_at.is_some(), input.ended_at.is_some())
    });
    check_consistency(status, started_at, input.answered_at, input.ended_at)?;
    let user_id = input.user_id;
    if let Some(user) = user_id {
        check_assignment(&principal, Some(user))?;
        check_user(&state, workspace, user, "user_id").await?;
    }
    let at = now();
    let mut call = Call {
        id: CallId::new(),
        workspace_id: workspace,
        source: input.source.unwrap_or_else(Source::api),
        external_id: text("external_id", input.external_id, 200)?,
        direction: input.direction,
        status,
        from_number: number(input.from_number, "from_number")?,
        from_name: text("from_name", input.from_name, 200)?,
        to_number: number(input.to_number, "to_number")?,
        to_name: text("to_name", input.to_name, 200)?,
        user_id,
        agent_id: input.agent_id,
        lead_id: input.lead_id,
        phone_number_id: input.phone_number_id,
        parent_call_id: None,
        started_at,
        answered_at: input.answered_at,
        ended_at: input.ended_at,
        end_reason: text("end_reason", input.end_reason, 200)?,
        sip_call_id: text("sip_call_id", input.sip_call_id, 200)?,
        disposition: text("disposition", input.disposition, 200)?,
        notes: text("notes", input.notes, 10_000)?,
        tags: tags(input.tags)?,
        blocked: false,
        has_recording: false,
        recorded_seconds: None,
        quality: object("quality", input.quality)?,
        cost: input.cost,
        raw: object("raw", input.raw)?.into_iter().collect(),
        created_at: at,
        updated_at: at,
    };
    call.blocked = is_blocked(&state, workspace, &call).await?;
    let events = initial_timeline(&call, &actor(&principal));
    log(&state, call, &print, &events).await
}

/// A call to start.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboundCallIn {
    #[schema(schema_with = to_number_schema)]
    pub to_number: String,
    /// The caller id to show.
    pub from_number: Option<String>,
    /// Who places it; the caller when omitted.
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub phone_number_id: Option<Uuid>,
    pub source: Option<Source>,
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
}

fn to_number_schema() -> Object {
    E164::input_schema(
        "The number to call; in a workspace with a region also written nationally \
         (`030 1234567`), with spaces, or with `00`.",
    )
}

/// Starts an outbound call: refused with 403 `number_blocked` when the number is on the
/// do-not-call list, otherwise logged as `initiated`. No provider is configured yet, so
/// the call is not dialled (that arrives with the provider integrations).
#[utoipa::path(post, path = "/calls/outbound", tag = "calls", request_body = OutboundCallIn,
    responses((status = 201, body = CallOut), (status = 200, body = CallOut),
        (status = 403, body = ErrorBody, description = "number_blocked"),
        (status = 404, body = ErrorBody, description = "user_not_found: `user_id`"),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_outbound_call(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<OutboundCallIn>,
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    let workspace = principal.require_write()?;
    let print = fingerprint(&input);
    let region = workspace_region(&state, workspace).await?;
    let to_number = E164::parse(&input.to_number, region.as_ref())
        .map_err(|e| ApiError::invalid_field("to_number", e))?;
    let blocking = state.store.blocking_entries(workspace, &to_number, now()).await?;
    if !blocking.is_empty() {
        let entries: Vec<_> =
            blocking.iter().map(|e| json!({ "id": e.id, "reason": e.reason })).collect();
        return Err(ApiError::new(
            ErrorCode::NumberBlocked,
            format!("{to_number} is on the do-not-call list"),
        )
        .with_details(json!({ "number": to_number, "entries": entries })));
    }
    let user = input.user_id.unwrap_or(principal.user.id);
    check_assignment(&principal, Some(user))?;
    check_user(&state, workspace, user, "user_id").await?;
    let from_number =
        text("from_number", input.from_number, 64)?.map(|raw| stored_number(&raw, region.as_ref()));
    let source = input.source.unwrap_or_else(Source::api);
    let call = Call {
        external_id: text("external_id", input.external_id, 200)?,
        from_number,
        to_number: Some(to_number.as_str().to_owned()),
        user_id: Some(user),
        agent_id: input.agent_id,
        lead_id: input.lead_id,
        phone_number_id: input.phone_number_id,
        notes: text("notes", input.notes, 10_000)?,
        ..Call::started(workspace, source, Direction::Outbound, CallStatus::Initiated, now())
    };
    let events = initial_timeline(&call, &actor(&principal));
    log(&state, call, &print, &events).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_timestamps() {
        assert_eq!(implied_status(Direction::Inbound, false, true), CallStatus::Missed);
        assert_eq!(implied_status(Direction::Outbound, false, true), CallStatus::NoAnswer);
        assert_eq!(implied_status(Direction::Outbound, true, true), CallStatus::Completed);
        let t = |s: i64| Timestamp::from_second(s).expect("timestamp");
        assert!(check_consistency(CallStatus::Completed, t(0), Some(t(5)), Some(t(9))).is_ok());
        assert!(check_consistency(CallStatus::Completed, t(0), None, Some(t(9))).is_err());
        assert!(check_consistency(CallStatus::Busy, t(0), Some(t(1)), Some(t(9))).is_err());
        assert!(check_consistency(CallStatus::Ringing, t(0), None, Some(t(9))).is_err());
        assert!(check_consistency(CallStatus::Completed, t(10), Some(t(5)), Some(t(20))).is_err());
    }
}
