//! `POST /calls` (log any call, idempotent on `(source, external_id)`) and
//! `POST /calls/outbound` (start a call, checked against the do-not-call list, and placed
//! through Twilio when an integration is named).

use axum::extract::State;
use axum::http::StatusCode;
use callbase_app::calls::intake::{self, Intake, NewCall, NewOutboundCall};
use callbase_app::calls::outbound::{self, Dialer};

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
/// do-not-call list, otherwise logged as `initiated`.
///
/// With `integration_id` (a Twilio integration of the workspace) Twilio places it: `twiml`
/// or `answer_url` says what the call does once answered, `from_number` is the Twilio number
/// it comes from, and Twilio's status callbacks (every event) go to the integration's voice
/// webhook, which needs the server's public URL. The call is logged under Twilio's call SID
/// (source `twilio`), 200 when a status callback logged it first. When Twilio refuses, 502
/// `upstream_failed` carries Twilio's `status`, `code`, `message` and `more_info` in
/// `details` (21211 for a `To` number Twilio does not take); nothing is logged. When
/// Twilio's answer is lost, the call may still have been placed: its status callbacks log it.
#[utoipa::path(post, path = "/calls/outbound", tag = "calls", request_body = NewOutboundCall,
    responses((status = 201, body = CallOut), (status = 200, body = CallOut,
            description = "Logged before with this source and external_id, or placed through \
            Twilio and logged first by a status callback"),
        (status = 403, body = ErrorBody, description = "number_blocked; destination_refused \
            (the egress policy refuses Twilio's API address)"),
        (status = 404, body = ErrorBody,
            description = "user_not_found: `user_id`; integration_not_found"),
        (status = 409, body = ErrorBody,
            description = "call_conflict; public_url_required: with `integration_id`"),
        (status = 502, body = ErrorBody,
            description = "upstream_failed: Twilio refused or did not answer")),
    security(("bearer" = [])))]
pub async fn create_outbound_call(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<NewOutboundCall>,
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    let actor = principal.writer()?;
    let dialer = Dialer {
        integrations: state.integrations(),
        egress: &state.egress,
        twilio_api: &state.settings.twilio_api_url,
        public_url: state.settings.public_url.as_deref(),
    };
    Ok(answer(outbound::start(&dialer, &actor, input).await?))
}
