//! The push sources (INGEST-1 … 4): each provider posts its events to a URL naming the
//! workspace and the integration; each adapter verifies the provider's signature, parses the
//! payload (the pure parsers of `callbase_domain::ingest`) and hands it to the intake. Answers
//! 2xx only once the event is committed; 404 for an integration that is not there (or of
//! another kind), 403 for a bad signature (counted on the integration), 422 naming what is
//! wrong with a payload; never 5xx for what a provider sent.

mod placetel;
mod recordings;
mod signed;
mod twilio;

use axum::http::{HeaderMap, Uri};
use std::sync::Arc;

use callbase_app::calls::intake;
use callbase_app::integrations::Receiver;
use callbase_domain::call::CallReport;
use callbase_domain::ingest::SignatureError;
use callbase_domain::{CallId, IntegrationId, IntegrationKind, WorkspaceId};
use callbase_store::Reported;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(twilio::twilio_voice))
        .routes(routes!(twilio::twilio_recording))
        .routes(routes!(placetel::placetel_notify))
        .routes(routes!(signed::sip_event))
        .routes(routes!(signed::recorder_event))
}

/// What the intake did with an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestOut {
    /// The call the event is about.
    pub call_id: CallId,
    /// The call's status after it.
    pub status: callbase_domain::call::CallStatus,
    /// The event was delivered before and changed nothing.
    pub duplicate: bool,
}

impl From<&Reported> for IngestOut {
    fn from(reported: &Reported) -> Self {
        let call = reported.call();
        Self {
            call_id: call.id,
            status: call.status,
            duplicate: matches!(reported, Reported::Duplicate(_)),
        }
    }
}

/// An integration of `kind` in `workspace`, ready to receive (its secrets opened).
struct Delivery(Arc<Receiver>);

impl Delivery {
    async fn find(
        state: &AppState,
        workspace: WorkspaceId,
        id: IntegrationId,
        kind: IntegrationKind,
    ) -> ApiResult<Self> {
        Ok(Self(state.integrations().receiver(workspace, id, kind).await?))
    }

    /// A secret's bytes; none when the integration has no secret of that name.
    fn secret(&self, name: &str) -> &[u8] {
        self.0.secret(name).map(str::as_bytes).unwrap_or_default()
    }

    /// Takes a provider's report about a call in.
    async fn take(&self, state: &AppState, report: &CallReport) -> ApiResult<Reported> {
        let workspace = self.0.integration.workspace_id;
        let region = self.0.region.as_ref();
        Ok(intake::take_report(state.store.as_ref(), workspace, region, report).await?)
    }

    /// A refused signature: counted on the integration, so an operator sees a misconfigured
    /// provider, and answered 403 without saying more than why.
    fn refuse(&self, state: &AppState, err: SignatureError) -> ApiError {
        let integration = &self.0.integration;
        state.activity.signature_failure(integration.workspace_id, integration.id, err.reason());
        tracing::warn!(integration = %integration.id, reason = err.reason(), "webhook refused");
        ApiError::new(ErrorCode::InvalidSignature, format!("signature: {}", err.reason()))
            .with_details(serde_json::json!({ "reason": err.reason() }))
    }

    /// One event accepted.
    fn accepted(&self, state: &AppState) {
        state.activity.event(self.0.integration.workspace_id, self.0.integration.id);
    }
}

/// The URL the provider requested, as it spelled it: the public base URL (or the `Host` it
/// sent) with the path and query string. Providers sign this.
fn requested_url(state: &AppState, headers: &HeaderMap, uri: &Uri) -> String {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match state.settings.public_url.as_deref() {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}{path}")
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}
