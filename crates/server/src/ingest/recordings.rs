//! The edge of a provider's recording events: the use case is
//! `callbase_app::calls::recordings`; here the media is fetched through the egress client
//! (with Twilio's credentials only on the origin of its API) and received into storage as
//! an upload's is.

use callbase_app::calls::recordings::{MediaSource, take_recording_report};
use callbase_app::egress::Answer;
use callbase_app::providers::twilio::takes_credentials;
use callbase_domain::call::RecordingReport;
use callbase_domain::recording::MediaFacts;
use callbase_domain::{RecordingId, WorkspaceId};

pub use callbase_app::calls::recordings::RecordingIntake as RecordingIngestOut;

use super::Delivery;
use crate::error::ApiResult;
use crate::http::recordings::ingest::discard;
use crate::http::recordings::lifecycle::{egress_refusal, receive};
use crate::state::AppState;

/// How a recording's media is fetched.
pub enum Fetcher<'a> {
    /// As the URL stands (a recorder's `file_url`).
    Plain,
    /// With the Twilio account's credentials, which go only to the origin of Twilio's API.
    Twilio(&'a Delivery),
}

/// Takes a recording event.
pub async fn take(
    state: &AppState,
    workspace: WorkspaceId,
    report: &RecordingReport,
    fetcher: Fetcher<'_>,
) -> ApiResult<RecordingIngestOut> {
    let media = Media { state, fetcher };
    Ok(take_recording_report(state.store.as_ref(), workspace, report, &media).await?)
}

struct Media<'a> {
    state: &'a AppState,
    fetcher: Fetcher<'a>,
}

impl MediaSource for Media<'_> {
    async fn fetch(&self, id: RecordingId, url: &str) -> Result<MediaFacts, String> {
        let answer = answer(self.state, url, &self.fetcher).await.map_err(|err| err.message)?;
        receive(self.state, id, answer).await.map_err(|err| err.message)
    }

    async fn discard(&self, media: &MediaFacts) {
        discard(self.state, media).await;
    }
}

/// The media's answer through the egress client, with Twilio's credentials when the URL is
/// on the origin of Twilio's API (scheme, host and port; never anywhere else).
async fn answer(state: &AppState, url: &str, fetcher: &Fetcher<'_>) -> ApiResult<Answer> {
    let limit = state.settings.recording_max_bytes;
    let url = state.egress.parse_url(url).map_err(|err| egress_refusal(&err, limit))?;
    let deadline = state.settings.upload_deadline;
    let mut request = state
        .egress
        .request(reqwest::Method::GET, &url, deadline)
        .map_err(|err| egress_refusal(&err, limit))?;
    if let Fetcher::Twilio(delivery) = fetcher {
        let api = reqwest::Url::parse(&state.settings.twilio_api_url).ok();
        if api.is_some_and(|api| takes_credentials(&api, &url)) {
            let account = delivery.0.integration.config.get("account_sid").and_then(|v| v.as_str());
            let token = delivery.0.secret("auth_token");
            request = request.basic_auth(account.unwrap_or_default(), token);
        }
    }
    state.egress.send(request).await.map_err(|err| egress_refusal(&err, limit))
}
