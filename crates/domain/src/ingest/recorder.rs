//! The recorder webhook (INGEST-4): a call recorder posts one JSON event per step of a
//! recording, signed with `X-Callbase-Signature` (see [`super::signed`]).

use jiff::Timestamp;

use super::json::Members;
use super::{IngestError, id, source};
use crate::{CallId, CallRef, RecordingReport, ReportedRecordingStatus};

/// The source recorders report under.
pub const SOURCE: &str = "recorder";

/// The longest `file_url` taken.
const MAX_URL_BYTES: usize = 2048;

/// What happened to the recording.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum RecorderEventKind {
    #[serde(rename = "recording.started")]
    Started,
    /// The recording is over and its file can be fetched from `file_url`.
    #[serde(rename = "recording.completed")]
    Completed,
    #[serde(rename = "recording.failed")]
    Failed,
}

impl RecorderEventKind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Started => "recording.started",
            Self::Completed => "recording.completed",
            Self::Failed => "recording.failed",
        }
    }
}

/// Where the recording stands, when the recorder says more than the event does: `absent` on
/// `recording.completed` is a recording that ended with nothing in it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecorderStatus {
    InProgress,
    Completed,
    Absent,
    Failed,
}

impl RecorderStatus {
    const fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Absent => "absent",
            Self::Failed => "failed",
        }
    }
}

/// One event about one recording, as a recorder posts it (`application/json`, signed with
/// `X-Callbase-Signature`). Give exactly one of `call_id` and `sip_call_id`. Members not
/// listed here are refused.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
// Read by `parse`, which refuses unknown members; this tells the schema so.
#[serde(deny_unknown_fields)]
pub struct RecorderEvent {
    pub event: RecorderEventKind,
    /// callbase's id of the call, when the recorder was told it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<CallId>,
    /// The SIP Call-ID of the recorded call, whichever source logged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 255)]
    pub sip_call_id: Option<String>,
    /// The recorder's own id of the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 255)]
    pub recording_id: Option<String>,
    /// Must agree with `event`: `in_progress` on started, `completed` or `absent` on
    /// completed, `failed` on failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RecorderStatus>,
    /// Where the finished file is fetched (http or https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2048, example = "https://recorder.example.com/files/rec-1.wav")]
    pub file_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// When it happened (RFC 3339); the time the event was received when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// Why the recording failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RecorderEvent {
    /// Every member an event may have.
    pub const MEMBERS: &[&str] = &[
        "event",
        "call_id",
        "sip_call_id",
        "recording_id",
        "status",
        "file_url",
        "duration_ms",
        "size_bytes",
        "at",
        "error",
    ];

    /// Reads a body, and answers the event with the object as received (for `raw`).
    pub fn parse(body: &[u8]) -> Result<(Self, serde_json::Value), IngestError> {
        let members = Members::parse(body, Self::MEMBERS)?;
        let optional_id = |field: &'static str| {
            members.optional::<String>(field)?.map(|value| id(field, &value)).transpose()
        };
        let event = Self {
            event: members.required("event")?,
            call_id: members.optional("call_id")?,
            sip_call_id: optional_id("sip_call_id")?,
            recording_id: optional_id("recording_id")?,
            status: members.optional("status")?,
            file_url: members.text("file_url")?.map(|url| file_url(&url)).transpose()?,
            duration_ms: members.optional("duration_ms")?,
            size_bytes: members.optional("size_bytes")?,
            at: members.optional("at")?,
            error: members.text("error")?,
        };
        if event.call_id.is_some() == event.sip_call_id.is_some() {
            return Err(IngestError::ExactlyOne { first: "call_id", second: "sip_call_id" });
        }
        Ok((event, members.into_raw()))
    }
}

fn file_url(url: &str) -> Result<String, IngestError> {
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || url.len() > MAX_URL_BYTES || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(IngestError::invalid("file_url", "is not an http(s) URL", url));
    }
    Ok(url.to_owned())
}

/// The report a recorder body makes; `received_at` dates it when it has no `at`.
///
/// - `status` is the event's (`started` → `in_progress`, `completed`, `failed`) unless
///   `status` says `absent` on a completed one; a `status` that disagrees is refused.
/// - `duration_seconds` is `duration_ms` rounded to the nearest second, as stored durations
///   are; `media_url` is `file_url`.
/// - `receipt` is `{recording_id}:{event}`, or `{call}:{event}` without a recording id, so a
///   re-delivery repeats it (a recorder making several recordings of a call should send ids).
pub fn recording_report(
    body: &[u8],
    received_at: Timestamp,
) -> Result<RecordingReport, IngestError> {
    let (event, raw) = RecorderEvent::parse(body)?;
    let status = match (event.event, event.status) {
        (RecorderEventKind::Started, None | Some(RecorderStatus::InProgress)) => {
            ReportedRecordingStatus::InProgress
        }
        (RecorderEventKind::Completed, None | Some(RecorderStatus::Completed)) => {
            ReportedRecordingStatus::Completed
        }
        (RecorderEventKind::Completed, Some(RecorderStatus::Absent)) => {
            ReportedRecordingStatus::Absent
        }
        (RecorderEventKind::Failed, None | Some(RecorderStatus::Failed)) => {
            ReportedRecordingStatus::Failed
        }
        (kind, Some(status)) => {
            let reason = format!("does not agree with {}", kind.as_str());
            return Err(IngestError::invalid("status", &reason, status.as_str()));
        }
    };
    let (call, call_key) = match (event.call_id, event.sip_call_id) {
        (Some(call_id), _) => (CallRef::Id(call_id), format!("call:{call_id}")),
        (None, Some(sip_call_id)) => {
            let key = format!("sip:{sip_call_id}");
            (CallRef::SipCallId(sip_call_id), key)
        }
        (None, None) => {
            return Err(IngestError::ExactlyOne { first: "call_id", second: "sip_call_id" });
        }
    };
    let receipt =
        format!("{}:{}", event.recording_id.as_deref().unwrap_or(&call_key), event.event.as_str());
    let duration_seconds = event
        .duration_ms
        .map(|ms| i64::try_from(ms.saturating_add(500) / 1000).unwrap_or(i64::MAX));
    Ok(RecordingReport {
        source: source(SOURCE),
        call,
        recording_external_id: event.recording_id,
        receipt,
        status,
        at: event.at.unwrap_or(received_at),
        media_url: event.file_url,
        duration_seconds,
        size_bytes: event.size_bytes,
        channels: None,
        error: event.error,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CALL_ID: &str = "0190a4b2-6c1e-7d3f-8a9b-0c1d2e3f4a5b";

    fn received() -> Timestamp {
        "2025-06-02T08:00:00Z".parse().expect("a time")
    }

    fn report(event: &serde_json::Value) -> Result<RecordingReport, IngestError> {
        recording_report(&serde_json::to_vec(event).expect("json"), received())
    }

    #[test]
    fn a_completed_recording_of_a_known_call() {
        let report = report(&json!({
            "event": "recording.completed",
            "call_id": CALL_ID,
            "recording_id": "rec-1",
            "file_url": "https://recorder.example.com/files/rec-1.wav",
            "duration_ms": 47_499,
            "size_bytes": 760_044,
            "at": "2025-06-02T07:59:30Z",
        }))
        .expect("a report");
        let call_id = CALL_ID.parse::<CallId>().expect("an id");
        assert_eq!(report.source.as_str(), "recorder");
        assert_eq!(report.call, CallRef::Id(call_id));
        assert_eq!(report.recording_external_id.as_deref(), Some("rec-1"));
        assert_eq!(report.receipt, "rec-1:recording.completed");
        assert_eq!(report.status, ReportedRecordingStatus::Completed);
        assert_eq!(report.at.to_string(), "2025-06-02T07:59:30Z");
        let url = "https://recorder.example.com/files/rec-1.wav";
        assert_eq!(report.media_url.as_deref(), Some(url));
        assert_eq!((report.duration_seconds, report.size_bytes), (Some(47), Some(760_044)));
        assert_eq!(report.raw["size_bytes"], 760_044);
    }

    #[test]
    fn by_sip_call_id_and_without_a_recording_id() {
        let started = report(&json!({"event": "recording.started", "sip_call_id": "abc@pbx"}))
            .expect("a report");
        assert_eq!(started.call, CallRef::SipCallId("abc@pbx".into()));
        assert_eq!(started.status, ReportedRecordingStatus::InProgress);
        assert_eq!(started.receipt, "sip:abc@pbx:recording.started");
        assert_eq!(started.at, received());
        let failed = report(&json!({
            "event": "recording.failed", "call_id": CALL_ID, "error": "disk full",
        }))
        .expect("a report");
        assert_eq!(failed.status, ReportedRecordingStatus::Failed);
        assert_eq!(failed.error.as_deref(), Some("disk full"));
        assert_eq!(failed.receipt, format!("call:{CALL_ID}:recording.failed"));
        let absent = report(&json!({
            "event": "recording.completed", "call_id": CALL_ID, "status": "absent",
        }))
        .expect("a report");
        assert_eq!(absent.status, ReportedRecordingStatus::Absent);
        let rounded = report(&json!({
            "event": "recording.completed", "call_id": CALL_ID, "duration_ms": 47_500,
        }));
        assert_eq!(rounded.map(|r| r.duration_seconds), Ok(Some(48)));
    }

    #[test]
    fn refusals_name_the_field() {
        let field = |event: serde_json::Value| {
            report(&event).err().and_then(|e| e.field().map(str::to_owned))
        };
        let neither = json!({"event": "recording.started"});
        assert_eq!(field(neither), Some("call_id".into()));
        let both = json!({"event": "recording.started", "call_id": CALL_ID, "sip_call_id": "a"});
        assert_eq!(
            report(&both).err(),
            Some(IngestError::ExactlyOne { first: "call_id", second: "sip_call_id" })
        );
        let with = |extra: serde_json::Value| {
            let mut event = json!({"event": "recording.completed", "sip_call_id": "abc@pbx"});
            if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
                event.extend(extra.clone());
            }
            field(event)
        };
        assert_eq!(with(json!({"event": "recording.paused"})), Some("event".into()));
        assert_eq!(
            with(json!({"call_id": "not-a-uuid", "sip_call_id": null})),
            Some("call_id".into())
        );
        assert_eq!(with(json!({"status": "failed"})), Some("status".into()));
        assert_eq!(with(json!({"status": "stopped"})), Some("status".into()));
        assert_eq!(with(json!({"file_url": "file:///etc/passwd"})), Some("file_url".into()));
        assert_eq!(with(json!({"duration_ms": -1})), Some("duration_ms".into()));
        assert_eq!(with(json!({"size_bytes": "12"})), Some("size_bytes".into()));
        assert_eq!(with(json!({"recording_id": ""})), Some("recording_id".into()));
        assert_eq!(with(json!({"channels": 2})), Some("channels".into()));
    }

    #[test]
    fn the_members_are_the_schemas() {
        let event = RecorderEvent {
            event: RecorderEventKind::Completed,
            call_id: CALL_ID.parse().ok(),
            sip_call_id: Some("s".into()),
            recording_id: Some("r".into()),
            status: Some(RecorderStatus::Completed),
            file_url: Some("https://r.example/1".into()),
            duration_ms: Some(1),
            size_bytes: Some(2),
            at: Some(received()),
            error: Some("e".into()),
        };
        let json = serde_json::to_value(&event).expect("json");
        let mut names: Vec<&str> =
            json.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        names.sort_unstable();
        let mut members = RecorderEvent::MEMBERS.to_vec();
        members.sort_unstable();
        assert_eq!(names, members);
        let one = RecorderEvent { sip_call_id: None, ..event };
        let body = serde_json::to_vec(&one).expect("json");
        assert_eq!(RecorderEvent::parse(&body).map(|(parsed, _)| parsed), Ok(one));
    }
}
