//! A provider's recording events (Twilio's recording status callback, a recorder's webhook):
//! the recording is created on its call, a completed one's media fetched into storage with
//! the media facts of an upload (REC-2), a failed or absent one marked so. A repeated
//! delivery changes nothing.

use std::future::Future;

use callbase_domain::call::{Call, CallRef, RecordingReport, ReportedRecordingStatus};
use callbase_domain::recording::{MediaFacts, Recording, RecordingStatus};
use callbase_domain::{CallId, RecordingId, WorkspaceId, now};
use callbase_store::{AuditEntry, PageRequest, RecordingChange, RecordingFilter, Store};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

/// Where a completed recording's media comes from: the edge fetches it (through the egress
/// client, with whatever credentials the source allows) into recording storage.
pub trait MediaSource {
    /// Fetches `url` into storage for recording `id`: the facts of what was stored, or why
    /// it could not be (kept on the recording, shown to the operator).
    fn fetch(
        &self,
        id: RecordingId,
        url: &str,
    ) -> impl Future<Output = Result<MediaFacts, String>> + Send;
    /// Removes media `fetch` stored that no recording took.
    fn discard(&self, media: &MediaFacts) -> impl Future<Output = ()> + Send;
}

/// What the intake did with a recording event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = RecordingIngestOut)]
pub struct RecordingIntake {
    pub call_id: CallId,
    /// The recording the event created or changed; `null` when it changed none.
    pub recording_id: Option<RecordingId>,
    pub status: Option<RecordingStatus>,
    /// Why fetching the media failed, when it did (the recording is then `failed`).
    pub failure: Option<String>,
    /// The event was delivered before and changed nothing.
    pub duplicate: bool,
}

/// Takes a recording event about a call of `workspace`. A completed recording whose media
/// cannot be fetched is kept `failed` with the reason: the event itself was taken.
///
/// # Errors
/// `CallNotFound` when no call of the workspace matches the event (or it was deleted
/// meanwhile), `RecordingNotFound` when the recording went meanwhile, or the store's.
pub async fn take_recording_report(
    store: &dyn Store,
    workspace: WorkspaceId,
    report: &RecordingReport,
    media: &impl MediaSource,
) -> AppResult<RecordingIntake> {
    let call = find_call(store, workspace, report).await?;
    let fresh = store.claim_receipt(workspace, &report.source, &report.receipt, call.id).await?;
    let mut out = RecordingIntake {
        call_id: call.id,
        recording_id: None,
        status: None,
        failure: None,
        duplicate: !fresh,
    };
    if !fresh {
        return Ok(out);
    }
    let open = in_progress(store, workspace, call.id).await?;
    let recording = match (report.status, open) {
        (ReportedRecordingStatus::InProgress, Some(open)) => open,
        (ReportedRecordingStatus::InProgress, None) => {
            create(store, workspace, call.id, report, RecordingStatus::Recording).await?
        }
        (ReportedRecordingStatus::Completed, open) if report.media_url.is_some() => {
            let recording = match open {
                Some(open) => open,
                None => {
                    create(store, workspace, call.id, report, RecordingStatus::Processing).await?
                }
            };
            fetch(store, workspace, recording, report, media, &mut out).await?
        }
        (status, Some(open)) => {
            let reason = match status {
                ReportedRecordingStatus::Absent => "the provider made no recording".to_owned(),
                _ => report
                    .error
                    .clone()
                    .unwrap_or_else(|| "the provider reported a failure".to_owned()),
            };
            fail(store, workspace, open.id, &reason).await?
        }
        (_, None) => return Ok(out),
    };
    out.recording_id = Some(recording.id);
    out.status = Some(recording.status);
    Ok(out)
}

async fn find_call(
    store: &dyn Store,
    workspace: WorkspaceId,
    report: &RecordingReport,
) -> AppResult<Call> {
    let call = match &report.call {
        CallRef::Id(id) => store.call(workspace, *id).await?,
        CallRef::External(id) => store.call_by_external_id(workspace, &report.source, id).await?,
        CallRef::SipCallId(id) => store.call_by_sip_call_id(workspace, id).await?,
    };
    call.ok_or(AppError::CallNotFound)
}

/// The call's recording still in progress, which a later event completes.
async fn in_progress(
    store: &dyn Store,
    workspace: WorkspaceId,
    call: CallId,
) -> AppResult<Option<Recording>> {
    let filter = RecordingFilter {
        call_id: Some(call),
        status: Some(RecordingStatus::Recording),
        ..RecordingFilter::default()
    };
    let page = store.list_recordings(workspace, &filter, &PageRequest::first(1)).await?;
    Ok(page.items.into_iter().next())
}

async fn create(
    store: &dyn Store,
    workspace: WorkspaceId,
    call: CallId,
    report: &RecordingReport,
    status: RecordingStatus,
) -> AppResult<Recording> {
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
    let mut audit = AuditEntry::new(Some(workspace), "recording.receive", recording.id);
    audit.details = serde_json::json!({ "source": report.source.as_str() });
    store.create_recording(&recording, &audit).await?.ok_or(AppError::CallNotFound)
}

async fn fail(
    store: &dyn Store,
    workspace: WorkspaceId,
    id: RecordingId,
    reason: &str,
) -> AppResult<Recording> {
    let mut change = RecordingChange::at(now());
    change.status = Some(RecordingStatus::Failed);
    change.failure = Some(Some(reason.to_owned()));
    store.update_recording(workspace, id, &change, None).await?.ok_or(AppError::RecordingNotFound)
}

/// Fetches the media into storage; a failure leaves the recording `failed` with the reason.
async fn fetch(
    store: &dyn Store,
    workspace: WorkspaceId,
    recording: Recording,
    report: &RecordingReport,
    media: &impl MediaSource,
    out: &mut RecordingIntake,
) -> AppResult<Recording> {
    let Some(url) = report.media_url.as_deref() else { return Ok(recording) };
    let facts = match media.fetch(recording.id, url).await {
        Ok(facts) => facts,
        Err(reason) => {
            let failed = fail(store, workspace, recording.id, &reason).await;
            out.failure = Some(reason);
            return failed;
        }
    };
    let mut change = RecordingChange::at(now());
    change.status = Some(RecordingStatus::Completed);
    change.failure = Some(None);
    change.ended_at = Some(report.at.max(recording.started_at.unwrap_or(report.at)));
    change.external_url = Some(Some(url.to_owned()));
    change.media = Some(facts.clone());
    match store.update_recording(workspace, recording.id, &change, None).await {
        Ok(Some(done)) => Ok(done),
        Ok(None) => {
            media.discard(&facts).await;
            Err(AppError::RecordingNotFound)
        }
        Err(err) => {
            media.discard(&facts).await;
            Err(err.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use callbase_domain::call::{CallStatus, Direction, Source};
    use callbase_domain::{DisplayName, TimeZoneName};
    use callbase_store::testing::fresh_store;
    use callbase_store::{Backend, NewWorkspace, RecordingStore, Reported, WorkspaceStore};

    use super::*;

    /// Media that arrives, or fails with a reason; remembers what it was asked.
    struct Media {
        fails_with: Option<&'static str>,
        asked: Mutex<Vec<String>>,
    }

    impl MediaSource for Media {
        async fn fetch(&self, _id: RecordingId, url: &str) -> Result<MediaFacts, String> {
            self.asked.lock().expect("asked").push(url.to_owned());
            match self.fails_with {
                Some(reason) => Err(reason.to_owned()),
                None => Ok(MediaFacts {
                    format: "wav".into(),
                    codec: "pcm_s16le".into(),
                    duration_ms: 2000,
                    sample_count: Some(16_000),
                    sample_rate: 8000,
                    channels: 1,
                    bitrate: 128_000,
                    size_bytes: 32_044,
                    sha256: "0".repeat(64),
                    storage_key: "2026/12/02/test.wav".into(),
                }),
            }
        }

        async fn discard(&self, _media: &MediaFacts) {}
    }

    fn event(receipt: &str, status: ReportedRecordingStatus) -> RecordingReport {
        RecordingReport {
            source: Source::parse("twilio").expect("source"),
            call: CallRef::External("CArec".into()),
            recording_external_id: Some("RE1".into()),
            receipt: receipt.into(),
            status,
            at: now(),
            media_url: Some("https://api.twilio.com/rec/RE1".into()),
            duration_seconds: Some(2),
            size_bytes: None,
            channels: Some(1),
            error: None,
            raw: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn completed_events_fetch_once_and_failures_are_kept_with_their_reason() {
        let store = fresh_store(Backend::Sqlite).await.expect("store");
        let workspace = WorkspaceId::new();
        let new = NewWorkspace {
            id: workspace,
            name: DisplayName::parse("Desk").expect("name"),
            time_zone: TimeZoneName::parse("Europe/Berlin").expect("zone"),
            region: None,
            at: now(),
        };
        let audit = AuditEntry::new(Some(workspace), "workspace.create", workspace);
        store.create_workspace(new, None, &audit).await.expect("workspace");
        let report = callbase_domain::call::CallReport {
            source: Source::parse("twilio").expect("source"),
            external_id: "CArec".into(),
            receipt: "CArec:completed".into(),
            direction: Some(Direction::Outbound),
            status: Some(CallStatus::Completed),
            at: now(),
            from_number: None,
            from_name: None,
            to_number: None,
            to_name: None,
            talk_seconds: Some(2),
            end_reason: None,
            sip_call_id: None,
            parent_external_id: None,
            raw: serde_json::json!({}),
        };
        let taken = crate::calls::intake::take_report(&store, workspace, None, &report)
            .await
            .expect("call");
        assert!(matches!(taken, Reported::Created { .. }));

        let broken = Media { fails_with: Some("no usable answer"), asked: Mutex::default() };
        let first = event("RE1:completed", ReportedRecordingStatus::Completed);
        let out = take_recording_report(&store, workspace, &first, &broken).await.expect("taken");
        assert_eq!(out.status, Some(RecordingStatus::Failed));
        assert_eq!(out.failure.as_deref(), Some("no usable answer"));

        let working = Media { fails_with: None, asked: Mutex::default() };
        let again =
            take_recording_report(&store, workspace, &first, &working).await.expect("again");
        assert!(again.duplicate, "a redelivery changes nothing");
        assert!(working.asked.lock().expect("asked").is_empty(), "and fetches nothing");

        let second = event("RE2:completed", ReportedRecordingStatus::Completed);
        let out = take_recording_report(&store, workspace, &second, &working).await.expect("taken");
        assert_eq!(out.status, Some(RecordingStatus::Completed));
        let recording = out.recording_id.expect("recording");
        let stored = store.recording(workspace, recording).await.expect("read").expect("stored");
        assert_eq!(stored.media.map(|m| m.duration_ms), Some(2000));

        let mut elsewhere = first.clone();
        elsewhere.call = CallRef::External("CAnone".into());
        elsewhere.receipt = "RE3:completed".into();
        let refused = take_recording_report(&store, workspace, &elsewhere, &working).await;
        assert!(matches!(refused, Err(AppError::CallNotFound)));
    }
}
