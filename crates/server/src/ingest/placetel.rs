//! Placetel's Notify API (INGEST-2): form-encoded `IncomingCall`, `OutgoingCall`,
//! `CallAccepted` and `HungUp`, signed with `X-PLACETEL-SIGNATURE` (hex HMAC-SHA256 of the
//! raw body with the shared secret).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use callbase_domain::ingest::{Form, placetel};
use callbase_domain::{IntegrationId, IntegrationKind, WorkspaceId, now};

use super::{Delivery, IngestOut, header};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// A Placetel Notify event: enter this URL and the shared secret in Placetel's external API
/// settings.
#[utoipa::path(post, path = "/webhooks/{workspace_id}/{integration_id}/placetel",
    tag = "webhooks",
    params(("workspace_id" = WorkspaceId, Path), ("integration_id" = IntegrationId, Path),
        ("X-PLACETEL-SIGNATURE" = String, Header,
            description = "hex HMAC-SHA256 of the body with the shared secret")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Placetel's event fields (`event`, `call_id`, `from`, `to`, …)"),
    responses((status = 200, body = IngestOut),
        (status = 403, body = ErrorBody, description = "invalid_signature"),
        (status = 404, body = ErrorBody, description = "integration_not_found"),
        (status = 422, body = ErrorBody)))]
pub async fn placetel_notify(
    State(state): State<AppState>,
    Path((workspace, id)): Path<(WorkspaceId, IntegrationId)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<IngestOut>> {
    let delivery = Delivery::find(&state, workspace, id, IntegrationKind::Placetel).await?;
    placetel::verify_signature(
        delivery.secret("shared_secret"),
        &body,
        header(&headers, "x-placetel-signature"),
    )
    .map_err(|err| delivery.refuse(&state, err))?;
    let report = placetel::call_report(&Form::parse(&body)?, now())?;
    let reported = delivery.take(&state, &report).await?;
    delivery.accepted(&state);
    Ok(Json(IngestOut::from(&reported)))
}
