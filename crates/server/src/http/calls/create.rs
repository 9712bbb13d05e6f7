//! `POST /calls` (log any call, idempotent on `(source, external_id)`) and
//! `POST /calls/outbound` (start a call, checked against the do-not-call list).

use axum::extract::State;
use axum::http::StatusCode;
use callbase_app::calls::intake::{self, Intake, NewCall, NewOutboundCall};

use super::input::CallBody;
use super::model::CallOut;
use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

fn answer(intake: Intake) -> (StatusCode, Json<CallOut>) {
    match intake {
        Intake::Created(call) => (StatusCode::CREATED, Json(call.into())),
        Intake::Existing(call) => (StatusCode::OK, Json(call.into())),
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
    Json(input): Json<NewCall>,
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    let actor = principal.writer()?;
    Ok(answer(intake::log_call(state.store.as_ref(), &actor, input).await?))
}

/// Starts an outbound call: refused with 403 `number_blocked` when the number is on the
/// do-not-call list, otherwise logged as `initiated`. No provider is configured yet, so
/// the call is not dialled (that arrives with the provider integrations).
#[utoipa::path(post, path = "/calls/outbound", tag = "calls", request_body = NewOutboundCall,
    responses((status = 201, body = CallOut), (status = 200, body = CallOut),
        (status = 403, body = ErrorBody, description = "number_blocked"),
        (status = 404, body = ErrorBody, description = "user_not_found: `user_id`"),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_outbound_call(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<NewOutboundCall>,
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    let actor = principal.writer()?;
    Ok(answer(intake::start_outbound(state.store.as_ref(), &actor, input).await?))
}
