//! What one provider event says about one call (INGEST-1 … 4), in the terms of the call
//! model: every push source (Twilio, Placetel, a SIP server, a recorder) parses its payload
//! into a [`CallReport`] or a [`RecordingReport`], and the intake does the rest.

use jiff::Timestamp;

use super::{CallStatus, Direction, Source};
use crate::CallId;

/// One event about one call, as a provider reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallReport {
    pub source: Source,
    /// The provider's id of the call (Twilio `CallSid`, Placetel `call_id`, a SIP Call-ID).
    pub external_id: String,
    /// Names this event among the call's events: a repeated delivery carries the same one,
    /// so it changes nothing the second time.
    pub receipt: String,
    /// `None` when the event does not say (a Placetel `HungUp` without `direction`); a new call is then
    /// taken as inbound.
    pub direction: Option<Direction>,
    /// The status this event reports, when it reports one.
    pub status: Option<CallStatus>,
    /// When the event happened.
    pub at: Timestamp,
    pub from_number: Option<String>,
    pub from_name: Option<String>,
    pub to_number: Option<String>,
    pub to_name: Option<String>,
    /// Talk time the provider counted, in seconds (Twilio `CallDuration`, Placetel
    /// `duration`): on a final report it dates the answer back from the end.
    pub talk_seconds: Option<i64>,
    /// The hang-up cause as the provider named it (`busy`, a SIP code, `voicemail`).
    pub end_reason: Option<String>,
    pub sip_call_id: Option<String>,
    /// The provider's id of the call this one is a leg of (Twilio `ParentCallSid`).
    pub parent_external_id: Option<String>,
    /// The payload as received (a JSON object; form fields become string members).
    pub raw: serde_json::Value,
}

/// How an event names the call it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallRef {
    /// callbase's own id (a recorder that was told it).
    Id(CallId),
    /// The source's id of the call, under the report's source.
    External(String),
    /// The SIP Call-ID of the call, whatever source logged it.
    SipCallId(String),
}

/// Where a recording's status stands, as its source reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedRecordingStatus {
    InProgress,
    Completed,
    Failed,
    Absent,
}

/// One event about one recording of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingReport {
    pub source: Source,
    /// The call the recording belongs to.
    pub call: CallRef,
    /// The provider's id of the recording (Twilio `RecordingSid`), when it has one.
    pub recording_external_id: Option<String>,
    pub receipt: String,
    pub status: ReportedRecordingStatus,
    pub at: Timestamp,
    /// Where the media can be fetched, through the egress client.
    pub media_url: Option<String>,
    pub duration_seconds: Option<i64>,
    pub size_bytes: Option<u64>,
    pub channels: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub raw: serde_json::Value,
}
