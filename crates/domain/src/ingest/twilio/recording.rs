//! Twilio's recording status callback (`recordingStatusCallback`) read into a
//! [`RecordingReport`].

use jiff::Timestamp;

use super::{SOURCE, parse_time};
use crate::ingest::{Form, IngestError, id, source};
use crate::{CallRef, RecordingReport, ReportedRecordingStatus};

/// The report a recording status callback makes; `received_at` dates it, as these callbacks
/// carry no time of their own, except `in-progress`, which is dated by `RecordingStartTime`.
///
/// - `RecordingStatus`: `in-progress`, `completed`, `absent` (nothing was recorded) and
///   `failed`; the resource's `paused`, `stopped` and `processing` never reach this callback
///   and are refused with the rest.
/// - `media_url`, on `completed` only (before, there is nothing to fetch): `RecordingUrl`
///   with `.wav` appended. Twilio serves the same media as `.wav` and `.mp3`; WAV is the
///   original, lossless and keeps both channels, and naming it does not lean on what Twilio
///   returns for a bare URL. A URL that already names `.wav` or `.mp3` is kept as is.
/// - `RecordingDuration` of `-1` (not known yet) is no duration; `ErrorCode=0` is no error.
/// - `receipt` is `{RecordingSid}:{RecordingStatus}`.
pub fn recording_report(
    form: &Form,
    received_at: Timestamp,
) -> Result<RecordingReport, IngestError> {
    let recording_sid = id("RecordingSid", form.required("RecordingSid")?)?;
    let call_sid = id("CallSid", form.required("CallSid")?)?;
    let status_text = form.required("RecordingStatus")?;
    let status = match status_text {
        "in-progress" => ReportedRecordingStatus::InProgress,
        "completed" => ReportedRecordingStatus::Completed,
        "absent" => ReportedRecordingStatus::Absent,
        "failed" => ReportedRecordingStatus::Failed,
        other => {
            let reason = "is not in-progress, completed, absent or failed";
            return Err(IngestError::invalid("RecordingStatus", reason, other));
        }
    };
    let url = form.text("RecordingUrl")?.map(media_url).transpose()?;
    let started = match form.text("RecordingStartTime")? {
        Some(text) => Some(parse_time(text).ok_or_else(|| {
            IngestError::invalid("RecordingStartTime", "is not an RFC 2822 date", text)
        })?),
        None => None,
    };
    let at = match status {
        ReportedRecordingStatus::InProgress => started.unwrap_or(received_at),
        _ => received_at,
    };
    let duration = form.number::<i64>("RecordingDuration", "is not a whole number of seconds")?;
    Ok(RecordingReport {
        source: source(SOURCE),
        call: CallRef::External(call_sid),
        receipt: format!("{recording_sid}:{status_text}"),
        recording_external_id: Some(recording_sid),
        status,
        at,
        media_url: url.filter(|_| status == ReportedRecordingStatus::Completed),
        duration_seconds: duration.filter(|seconds| *seconds >= 0),
        size_bytes: None,
        channels: form.number("RecordingChannels", "is not a channel count")?,
        error: form.text("ErrorCode")?.filter(|code| code.trim() != "0").map(str::to_owned),
        raw: form.to_json(),
    })
}

/// Where the recording's media is fetched.
fn media_url(url: &str) -> Result<String, IngestError> {
    let url = url.trim();
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || url.len() > 2048 || url.chars().any(char::is_whitespace) {
        return Err(IngestError::invalid("RecordingUrl", "is not an http(s) URL", url));
    }
    let lower = url.to_ascii_lowercase();
    if lower.ends_with(".wav") || lower.ends_with(".mp3") {
        return Ok(url.to_owned());
    }
    Ok(format!("{url}.wav"))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::RECORDING_BODY;
    use super::*;

    fn received() -> Timestamp {
        "2021-08-10T18:48:10Z".parse().expect("a time")
    }

    fn report(body: &str) -> Result<RecordingReport, IngestError> {
        recording_report(&Form::parse(body.as_bytes()).expect("a form"), received())
    }

    #[test]
    fn a_completed_recording() {
        let report = report(RECORDING_BODY).expect("a report");
        assert_eq!(report.source.as_str(), "twilio");
        assert_eq!(report.call, CallRef::External("CA3f1d7a4b9c2e8f0a1b2c3d4e5f6a7b8c".into()));
        let sid = "RE5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d";
        assert_eq!(report.recording_external_id.as_deref(), Some(sid));
        assert_eq!(report.receipt, format!("{sid}:completed"));
        assert_eq!(report.status, ReportedRecordingStatus::Completed);
        assert_eq!(report.at, received());
        let url = format!(
            "https://api.twilio.com/2010-04-01/Accounts/ACb8a3c2d1e0f9a8b7c6d5e4f3a2b1c0d9/\
             Recordings/{sid}.wav"
        );
        assert_eq!(report.media_url, Some(url));
        assert_eq!((report.duration_seconds, report.channels), (Some(47), Some(2)));
        assert_eq!((report.size_bytes, report.error), (None, None));
        assert_eq!(report.raw["RecordingSource"], "DialVerb");
    }

    #[test]
    fn in_progress_absent_and_failed() {
        let in_progress = RECORDING_BODY
            .replace("RecordingStatus=completed", "RecordingStatus=in-progress")
            .replace("RecordingDuration=47", "RecordingDuration=-1");
        let report_of = |body: &str| report(body).expect("a report");
        let started = report_of(&in_progress);
        assert_eq!(started.status, ReportedRecordingStatus::InProgress);
        assert_eq!(started.at.to_string(), "2021-08-10T18:47:16Z");
        assert_eq!((started.media_url, started.duration_seconds), (None, None));
        let absent = report_of(&RECORDING_BODY.replace("=completed", "=absent"));
        assert_eq!((absent.status, absent.media_url), (ReportedRecordingStatus::Absent, None));
        let failed = RECORDING_BODY
            .replace("=completed", "=failed")
            .replace("ErrorCode=0", "ErrorCode=13617");
        let failed = report_of(&failed);
        assert_eq!(failed.status, ReportedRecordingStatus::Failed);
        assert_eq!(failed.error.as_deref(), Some("13617"));
    }

    #[test]
    fn urls_that_name_their_format_are_kept() {
        assert_eq!(media_url("https://x.example/r.mp3"), Ok("https://x.example/r.mp3".into()));
        assert_eq!(media_url("https://x.example/r"), Ok("https://x.example/r.wav".into()));
        assert!(media_url("ftp://x.example/r").is_err());
        assert!(media_url("https://x.example/a b").is_err());
    }

    #[test]
    fn refusals_name_the_field() {
        let field = |body: &str| report(body).err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(field("CallSid=CA1&RecordingStatus=completed"), Some("RecordingSid".into()));
        assert_eq!(field("RecordingSid=RE1&RecordingStatus=completed"), Some("CallSid".into()));
        let base = "RecordingSid=RE1&CallSid=CA1";
        assert_eq!(field(base), Some("RecordingStatus".into()));
        assert_eq!(
            field(&format!("{base}&RecordingStatus=paused")),
            Some("RecordingStatus".into())
        );
        let done = format!("{base}&RecordingStatus=completed");
        assert_eq!(field(&format!("{done}&RecordingChannels=x")), Some("RecordingChannels".into()));
        assert_eq!(
            field(&format!("{done}&RecordingUrl=file%3A%2F%2Fx")),
            Some("RecordingUrl".into())
        );
        assert_eq!(
            field(&format!("{done}&RecordingStartTime=x")),
            Some("RecordingStartTime".into())
        );
    }
}
