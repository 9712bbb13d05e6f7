//! One call: read it with its timeline, edit, delete, and the lifecycle actions.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_app::calls::commands;
use callbase_domain::call::{CallCommand, CallStatus, TransferTarget};
use callbase_domain::{CallId, E164, Timestamp, UserId, now};
use callbase_store::{CallPatch, Commanded, RecordingFilter};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use uuid::Uuid;

use super::input::{tags, tags_patch_schema, text};
use super::model::{CallActionOut, CallDetailOut, CallEventOut, CallOut};
use super::visibility::{check_visible, only_calls_of};
use super::{check_assignment, check_user, not_found, require_call_editor, workspace_region};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, JsonOrEmpty, Path};
use crate::http::recordings::manage;
use crate::state::AppState;

/// A call with its timeline in time order, and its legs (the calls transferred or bridged
/// off it).
#[utoipa::path(get, path = "/calls/{id}", tag = "calls", params(("id" = CallId, Path)),
    responses((status = 200, body = CallDetailOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
) -> ApiResult<Json<CallDetailOut>> {
    let workspace = principal.workspace_id()?;
    let call = state.store.call(workspace, id).await?.ok_or_else(not_found)?;
    check_visible(&call, only_calls_of(&state, &principal).await?)?;
    let timeline = state.store.call_events(workspace, id).await?;
    let legs = state.store.call_legs(workspace, id).await?;
    Ok(Json(CallDetailOut {
        call: call.into(),
        timeline: timeline.into_iter().map(CallEventOut::from).collect(),
        legs: legs.into_iter().map(CallOut::from).collect(),
    }))
}

/// `null` clears a field; omitted fields stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallPatchIn {
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
    #[schema(schema_with = tags_patch_schema)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub disposition: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<Uuid>)]
    pub lead_id: Option<Option<Uuid>>,
    /// A member of the workspace.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<UserId>)]
    pub user_id: Option<Option<UserId>>,
}

/// Edits notes, tags, disposition, lead or user (audited).
#[utoipa::path(patch, path = "/calls/{id}", tag = "calls", params(("id" = CallId, Path)),
    request_body = CallPatchIn,
    responses((status = 200, body = CallOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
    Json(input): Json<CallPatchIn>,
) -> ApiResult<Json<CallOut>> {
    let workspace = require_call_editor(&state, &principal, id).await?;
    if let Some(user) = input.user_id {
        check_assignment(&principal, user)?;
    }
    if let Some(Some(user)) = input.user_id {
        check_user(&state, workspace, user, "user_id").await?;
    }
    let patch = CallPatch {
        notes: input.notes.map(|notes| text("notes", notes, 10_000)).transpose()?,
        tags: input.tags.map(tags).transpose()?,
        disposition: input.disposition.map(|d| text("disposition", d, 200)).transpose()?,
        lead_id: input.lead_id,
        user_id: input.user_id,
    };
    let mut audit = principal.audit("call.update", "call", id);
    audit.details = json!({
        "notes": patch.notes.is_some(),
        "tags": patch.tags,
        "disposition": patch.disposition,
        "lead_id": patch.lead_id,
        "user_id": patch.user_id,
    });
    let call =
        state.store.update_call(workspace, id, &patch, &audit).await?.ok_or_else(not_found)?;
    Ok(Json(call.into()))
}

/// Deletes a call with its timeline (owners and admins; audited).
#[utoipa::path(delete, path = "/calls/{id}", tag = "calls", params(("id" = CallId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
) -> ApiResult<StatusCode> {
    let workspace = principal.require_admin()?;
    let audit = principal.audit("call.delete", "call", id);
    let recordings = RecordingFilter { call_id: Some(id), ..RecordingFilter::default() };
    let keys = manage::stored_keys(&state, workspace, &recordings).await?;
    if state.store.delete_call(workspace, id, &audit).await? {
        manage::remove_keys(&state, keys).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

async fn run(
    state: &AppState,
    principal: &Principal,
    id: CallId,
    command: CallCommand,
) -> ApiResult<Json<CallActionOut>> {
    let actor = principal.writer()?;
    let Commanded { call, events, leg } =
        commands::run_command(state.store.as_ref(), &actor, id, command).await?;
    Ok(Json(CallActionOut {
        call: call.into(),
        events: events.into_iter().map(CallEventOut::from).collect(),
        leg: leg.map(CallOut::from),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    pub status: CallStatus,
    /// When it happened; now when omitted.
    pub at: Option<Timestamp>,
}

/// Moves the call through its lifecycle. A late or repeated status is recorded in the
/// timeline (`applied: false`) without moving the call back; an impossible one answers 409
/// `illegal_transition` naming both states.
#[utoipa::path(post, path = "/calls/{id}/status", tag = "calls", params(("id" = CallId, Path)),
    request_body = StatusIn,
    responses((status = 200, body = CallActionOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "illegal_transition")),
    security(("bearer" = [])))]
pub async fn set_call_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
    Json(input): Json<StatusIn>,
) -> ApiResult<Json<CallActionOut>> {
    let command = CallCommand::Status { status: input.status, at: input.at.unwrap_or_else(now) };
    run(&state, &principal, id, command).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndIn {
    pub at: Option<Timestamp>,
    /// Hangup cause or SIP code.
    #[schema(max_length = 200)]
    pub end_reason: Option<String>,
}

/// Hangs up: `completed` when it was answered, otherwise `missed` (inbound), `no_answer`
/// (outbound) or `canceled` (never rang).
#[utoipa::path(post, path = "/calls/{id}/end", tag = "calls", params(("id" = CallId, Path)),
    request_body(content = Option<EndIn>),
    responses((status = 200, body = CallActionOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn end_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
    JsonOrEmpty(input): JsonOrEmpty<EndIn>,
) -> ApiResult<Json<CallActionOut>> {
    let reason = text("end_reason", input.end_reason, 200)?;
    let command = CallCommand::End { at: input.at.unwrap_or_else(now), reason };
    run(&state, &principal, id, command).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AtIn {
    pub at: Option<Timestamp>,
}

/// Puts a connected call on hold, or resumes it.
#[utoipa::path(post, path = "/calls/{id}/hold", tag = "calls", params(("id" = CallId, Path)),
    request_body(content = Option<AtIn>),
    responses((status = 200, body = CallActionOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "illegal_transition")),
    security(("bearer" = [])))]
pub async fn toggle_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
    JsonOrEmpty(input): JsonOrEmpty<AtIn>,
) -> ApiResult<Json<CallActionOut>> {
    let at = input.at.unwrap_or_else(now);
    run(&state, &principal, id, CallCommand::Hold { at }).await
}

/// Exactly one of `to_number` and `to_user_id`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    pub to_number: Option<String>,
    pub to_user_id: Option<UserId>,
    pub at: Option<Timestamp>,
}

impl utoipa::PartialSchema for TransferIn {
    /// One shape per target, so that a document states "exactly one of".
    fn schema() -> RefOr<Schema> {
        let at = || {
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                .description(Some("When it happened; now when omitted."))
        };
        let absent = || ObjectBuilder::new().schema_type(Type::Null);
        let to_number = ObjectBuilder::new()
            .title(Some("to a number"))
            .property("to_number", E164::input_schema("The number to transfer to."))
            .required("to_number")
            .property("to_user_id", absent())
            .property("at", at())
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let to_user = ObjectBuilder::new()
            .title(Some("to a member"))
            .property(
                "to_user_id",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .description(Some("A member of the workspace.")),
            )
            .required("to_user_id")
            .property("to_number", absent())
            .property("at", at())
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        OneOfBuilder::new()
            .description(Some("Transfer to a number or to a member of the workspace."))
            .item(to_number)
            .item(to_user)
            .into()
    }
}

impl ToSchema for TransferIn {}

/// Transfers a connected call: records a `transfer` entry and creates the new call leg,
/// linked by `parent_call_id`.
#[utoipa::path(post, path = "/calls/{id}/transfer", tag = "calls", params(("id" = CallId, Path)),
    request_body = TransferIn,
    responses((status = 200, body = CallActionOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "call_not_connected")),
    security(("bearer" = [])))]
pub async fn transfer_call(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
    Json(input): Json<TransferIn>,
) -> ApiResult<Json<CallActionOut>> {
    let workspace = require_call_editor(&state, &principal, id).await?;
    let target = match (input.to_number, input.to_user_id) {
        (Some(number), None) => {
            let region = workspace_region(&state, workspace).await?;
            TransferTarget::Number(
                E164::parse(&number, region.as_ref())
                    .map_err(|e| ApiError::invalid_field("to_number", e))?,
            )
        }
        (None, Some(user)) => {
            check_user(&state, workspace, user, "to_user_id").await?;
            TransferTarget::User(user)
        }
        _ => {
            return Err(ApiError::invalid_field(
                "to_number",
                "give exactly one of to_number and to_user_id",
            ));
        }
    };
    let command =
        CallCommand::Transfer { at: input.at.unwrap_or_else(now), target, leg: CallId::new() };
    run(&state, &principal, id, command).await
}
