//! A provider's recording events (Twilio's recording status callback, a recorder's webhook):
//! the recording is created on its call, and a completed one's media fetched through the
//! egress client into storage with the media facts of an upload (REC-2). A repeated delivery
//! changes nothing.

use callbase_app::egress::Answer;
use callbase_app::providers::twilio::takes_credentials;
use callbase_domain::call::{Call, CallRef, RecordingReport, ReportedRecordingStatus};
use callbase_domain::recording::{Recording, RecordingStatus};
use callbase_domain::{CallId, RecordingId, WorkspaceId, now};
use callbase_store::{AuditEntry, PageRequest, RecordingChange, RecordingFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::Delivery;
use crate::error::{ApiError, ApiResult, ErrorCode};
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

/// What the intake did with a recording event.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingIngestOut {
    pub call_id: CallId,
    /// The recording the event created or changed; `null` when it changed none.
    pub recording_id: Option<RecordingId>,
    pub status: Option<RecordingStatus>,
    /// Why fetching the media failed, when it did (the recording is then `failed`).
    pub failure: Option<String>,
    /// The event was delivered before and changed nothing.
    pub duplicate: bool,
}

async fn find_call(
    state: &AppState,
    workspace: WorkspaceId,
    report: &RecordingReport,
) -> ApiResult<Call> {
    let store = state.store.as_ref();
    let call = match &report.call {
        CallRef::Id(id) => store.call(workspace, *id).await?,
        CallRef::External(id) => store.call_by_external_id(workspace, &report.source, id).await?,
        CallRef::SipCallId(id) => store.call_by_sip_call_id(workspace, id).await?,
    };
    call.ok_or_else(|| {
        ApiError::new(ErrorCode::CallNotFound, "no call of this workspace matches the event")
    })
}

/// The call's recording still in progress, which a later event completes.
async fn in_progress(
    state: &AppState,
    workspace: WorkspaceId,
    call: CallId,
) -> ApiResult<Option<Recording>> {
    let filter = RecordingFilter {
        call_id: Some(call),
        status: Some(RecordingStatus::Recording),
        ..RecordingFilter::default()
    };
    let page = state.store.list_recordings(workspace, &filter, &PageRequest::first(1)).await?;
    Ok(page.items.into_iter().next())
}

fn system_audit(
    workspace: WorkspaceId,
    action: &str,
    recording: RecordingId,
    source: &str,
) -> AuditEntry {
    let mut audit = AuditEntry::new(Some(workspace), action, recording);
    audit.details = serde_json::json!({ "source": source });
    audit
}

/// Takes a recording event.
pub async fn take(
    state: &AppState,
    workspace: WorkspaceId,
    report: &RecordingReport,
    fetcher: Fetcher<'_>,
) -> ApiResult<RecordingIngestOut> {
    let call = find_call(state, workspace, report).await?;
    let fresh =
        state.store.claim_receipt(workspace, &report.source, &report.receipt, call.id).await?;
    let mut out = RecordingIngestOut {
        call_id: call.id,
        recording_id: None,
        status: None,
        failure: None,
        duplicate: !fresh,
    };
    if !fresh {
        return Ok(out);
    }
    let open = in_progress(state, workspace, call.id).await?;
    let recording = match (report.status, open) {
        (ReportedRecordingStatus::InProgress, Some(open)) => open,
        (ReportedRecordingStatus::InProgress, None) => {
            create(state, workspace, call.id, report, RecordingStatus::Recording).await?
        }
        (ReportedRecordingStatus::Completed, open) if report.media_url.is_some() => {
            let recording = match open {
                Some(open) => open,
                None => {
                    create(state, workspace, call.id, report, RecordingStatus::Processing).await?
                }
            };
            fetch(state, workspace, recording, report, &fetcher, &mut out).await?
        }
        (status, Some(open)) => {
            let reason = match status {
                ReportedRecordingStatus::Absent => "the provider made no recording".to_owned(),
                _ => report
                    .error
                    .clone()
                    .unwrap_or_else(|| "the provider reported a failure".to_owned()),
            };
            fail(state, workspace, open.id, &reason).await?
        }
        (_, None) => return Ok(out),
    };
    out.recording_id = Some(recording.id);
    out.status = Some(recording.status);
    Ok(out)
}

async fn create(
    state: &AppState,
    workspace: WorkspaceId,
    call: CallId,
    report: &RecordingReport,
    status: RecordingStatus,
) -> ApiResult<Recording> {
    let at = now();
    let recording = Recording {
        id: RecordingId::new(),
        workspace_id: workspace,
        call_id: call,
        uploaded_by: None,
        status,
        media: None,
        external_url: report.media_url.clone(),
        failure: None,
        notes: None,
        started_at: Some(report.at),
        ended_at: None,
        has_transcript: false,
        created_at: at,
        updated_at: at,
    };
    let audit = system_audit(workspace, "recording.receive", recording.id, report.source.as_str());
    state
        .store
        .create_recording(&recording, &audit)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::CallNotFound, "the call was deleted meanwhile"))
}

async fn fail(
    state: &AppState,
    workspace: WorkspaceId,
    id: RecordingId,
    reason: &str,
) -> ApiResult<Recording> {
    let mut change = RecordingChange::at(now());
    change.status = Some(RecordingStatus::Failed);
    change.failure = Some(Some(reason.to_owned()));
    state
        .store
        .update_recording(workspace, id, &change, None)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::RecordingNotFound, "the recording is gone"))
}

/// Fetches the media into storage; a failure leaves the recording `failed` with the reason
/// (the event itself was taken: the provider is answered 200).
async fn fetch(
    state: &AppState,
    workspace: WorkspaceId,
    recording: Recording,
    report: &RecordingReport,
    fetcher: &Fetcher<'_>,
    out: &mut RecordingIngestOut,
) -> ApiResult<Recording> {
    let Some(url) = report.media_url.as_deref() else { return Ok(recording) };
    let media = match answer(state, url, fetcher).await {
        Ok(answer) => receive(state, recording.id, answer).await,
        Err(err) => Err(err),
    };
    let media = match media {
        Ok(media) => media,
        Err(err) => {
            out.failure = Some(err.message.clone());
            return fail(state, workspace, recording.id, &err.message).await;
        }
    };
    let mut change = RecordingChange::at(now());
    change.status = Some(RecordingStatus::Completed);
    change.failure = Some(None);
    change.ended_at = Some(report.at.max(recording.started_at.unwrap_or(report.at)));
    change.external_url = Some(Some(url.to_owned()));
    change.media = Some(media.clone());
    match state.store.update_recording(workspace, recording.id, &change, None).await {
        Ok(Some(done)) => Ok(done),
        Ok(None) => {
            discard(state, &media).await;
            Err(ApiError::new(ErrorCode::RecordingNotFound, "the recording is gone"))
        }
        Err(err) => {
            discard(state, &media).await;
            Err(err.into())
        }
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
