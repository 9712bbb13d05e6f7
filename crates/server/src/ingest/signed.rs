//! The generic JSON webhooks (INGEST-3, INGEST-4): a SIP server's call events and a
//! recorder's recording events, signed `X-Callbase-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256 of "t.body">` with the integration's signing secret, refused outside five
//! minutes of now (replays).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use callbase_domain::ingest::recorder::{self, RecorderEvent};
use callbase_domain::ingest::signed::verify_callbase_signature;
use callbase_domain::ingest::sip_webhook::{self, SipWebhookEvent};
use callbase_domain::{IntegrationId, IntegrationKind, WorkspaceId, now};

use super::recordings::{Fetcher, RecordingIngestOut, take};
use super::{Delivery, IngestOut, header};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

fn verify(
    state: &AppState,
    delivery: &Delivery,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<()> {
    verify_callbase_signature(
        delivery.secret("signing_secret"),
        body,
        header(headers, "x-callbase-signature"),
        now(),
    )
    .map_err(|err| delivery.refuse(state, err))
}

/// A SIP server's call event. SIP response codes decide how an ended call ended: 486/600
/// busy, 480/408 no answer, 487 canceled, other 4xx–6xx failed.
#[utoipa::path(post, path = "/webhooks/{workspace_id}/{integration_id}/sip",
    tag = "webhooks",
    params(("workspace_id" = WorkspaceId, Path), ("integration_id" = IntegrationId, Path),
        ("X-Callbase-Signature" = String, Header,
            description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">`")),
    request_body = SipWebhookEvent,
    responses((status = 200, body = IngestOut),
        (status = 403, body = ErrorBody, description = "invalid_signature"),
        (status = 404, body = ErrorBody, description = "integration_not_found"),
        (status = 422, body = ErrorBody)))]
pub async fn sip_event(
    State(state): State<AppState>,
    Path((workspace, id)): Path<(WorkspaceId, IntegrationId)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<IngestOut>> {
    let delivery = Delivery::find(&state, workspace, id, IntegrationKind::SipWebhook).await?;
    verify(&state, &delivery, &headers, &body)?;
    let report = sip_webhook::call_report(&body, now())?;
    let reported = delivery.take(&state, &report).await?;
    delivery.accepted(&state);
    Ok(Json(IngestOut::from(&reported)))
}

/// A recorder's event about a recording of a call it names by `call_id` (callbase's) or
/// `sip_call_id`. A completed recording's `file_url` is fetched through the egress client.
#[utoipa::path(post, path = "/webhooks/{workspace_id}/{integration_id}/recorder",
    tag = "webhooks",
    params(("workspace_id" = WorkspaceId, Path), ("integration_id" = IntegrationId, Path),
        ("X-Callbase-Signature" = String, Header,
            description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">`")),
    request_body = RecorderEvent,
    responses((status = 200, body = RecordingIngestOut),
        (status = 403, body = ErrorBody, description = "invalid_signature"),
        (status = 404, body = ErrorBody, description = "integration_not_found, call_not_found"),
        (status = 422, body = ErrorBody)))]
pub async fn recorder_event(
    State(state): State<AppState>,
    Path((workspace, id)): Path<(WorkspaceId, IntegrationId)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<RecordingIngestOut>> {
    let delivery = Delivery::find(&state, workspace, id, IntegrationKind::Recorder).await?;
    verify(&state, &delivery, &headers, &body)?;
    let report = recorder::recording_report(&body, now())?;
    let answer = take(&state, workspace, &report, Fetcher::Plain).await?;
    delivery.accepted(&state);
    Ok(Json(answer))
}
