//! Twilio (INGEST-1): voice status callbacks for every `CallStatus` and recording status
//! callbacks, form-encoded as Twilio sends them, verified with `X-Twilio-Signature`.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use callbase_domain::ingest::Form;
use callbase_domain::ingest::twilio::{self as parse, SignatureAlgorithm, SignedParams};
use callbase_domain::{IntegrationId, IntegrationKind, WorkspaceId, now};

use super::{Delivery, IngestOut, header, requested_url};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// The form fields of a request, verified against its `X-Twilio-Signature` with the
/// integration's auth token. A JSON body is verified by its `bodySHA256` and read as fields.
fn verified_form(
    state: &AppState,
    delivery: &Delivery,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    body: &[u8],
) -> ApiResult<Form> {
    let url = requested_url(state, headers, uri);
    let json = header(headers, "content-type").is_some_and(|t| t.contains("json"));
    let form = if json { Form::from_json(body)? } else { Form::parse(body)? };
    let params = if json { SignedParams::Body(body) } else { SignedParams::Form(form.pairs()) };
    let signature = header(headers, "x-twilio-signature");
    let algorithm = SignatureAlgorithm::from_settings_header(header(
        headers,
        "x-twilio-webhooks-signature-settings",
    ))
    .map_err(|err| delivery.refuse(state, err))?;
    parse::verify_signature_with(algorithm, delivery.secret("auth_token"), &url, params, signature)
        .map_err(|err| delivery.refuse(state, err))?;
    Ok(form)
}

/// A voice status callback: set it as the number's or the call's `StatusCallback` (every
/// event: initiated, ringing, answered, completed). Callbacks may arrive late, out of order
/// and twice: the call ends in the right state, once.
#[utoipa::path(post, path = "/webhooks/{workspace_id}/{integration_id}/twilio/voice",
    tag = "webhooks",
    params(("workspace_id" = WorkspaceId, Path), ("integration_id" = IntegrationId, Path),
        ("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Twilio's status callback fields (`CallSid`, `CallStatus`, …)"),
    responses((status = 200, body = IngestOut),
        (status = 403, body = ErrorBody, description = "invalid_signature"),
        (status = 404, body = ErrorBody, description = "integration_not_found"),
        (status = 422, body = ErrorBody)))]
pub async fn twilio_voice(
    State(state): State<AppState>,
    Path((workspace, id)): Path<(WorkspaceId, IntegrationId)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<IngestOut>> {
    let delivery = Delivery::find(&state, workspace, id, IntegrationKind::Twilio).await?;
    let form = verified_form(&state, &delivery, &headers, &uri, &body)?;
    let report = parse::call_report(&form, now())?;
    let reported = delivery.take(&state, &report).await?;
    delivery.accepted(&state);
    Ok(Json(IngestOut::from(&reported)))
}

/// A recording status callback: set it as `RecordingStatusCallback`. A completed recording
/// is created on its call and its media fetched from Twilio (with the account's
/// credentials) into storage.
#[utoipa::path(post, path = "/webhooks/{workspace_id}/{integration_id}/twilio/recording",
    tag = "webhooks",
    params(("workspace_id" = WorkspaceId, Path), ("integration_id" = IntegrationId, Path),
        ("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Twilio's recording status callback fields (`RecordingSid`, …)"),
    responses((status = 200, body = super::recordings::RecordingIngestOut),
        (status = 403, body = ErrorBody, description = "invalid_signature"),
        (status = 404, body = ErrorBody, description = "integration_not_found, call_not_found"),
        (status = 422, body = ErrorBody)))]
pub async fn twilio_recording(
    State(state): State<AppState>,
    Path((workspace, id)): Path<(WorkspaceId, IntegrationId)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<super::recordings::RecordingIngestOut>> {
    let delivery = Delivery::find(&state, workspace, id, IntegrationKind::Twilio).await?;
    let form = verified_form(&state, &delivery, &headers, &uri, &body)?;
    let report = parse::recording_report(&form, now())?;
    let fetcher = super::recordings::Fetcher::Twilio(&delivery);
    let answer = super::recordings::take(&state, workspace, &report, fetcher).await?;
    delivery.accepted(&state);
    Ok(Json(answer))
}
