//! The SIP webhook (INGEST-3): a SIP server (a PBX, a proxy, an SBC) posts one JSON event per
//! step of a call, signed with `X-Callbase-Signature` (see [`super::signed`]).

use jiff::Timestamp;

use super::json::Members;
use super::{IngestError, id, source};
use crate::{CallReport, CallStatus, Direction};

/// The source a SIP server's calls are logged under.
pub const SOURCE: &str = "sip";

/// What happened to the call.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum SipEventKind {
    /// An INVITE was sent or received: `initiated`.
    #[serde(rename = "call.started")]
    Started,
    /// 180 Ringing or 183 Session Progress: `ringing`.
    #[serde(rename = "call.ringing")]
    Ringing,
    /// 200 OK to the INVITE: `in_progress`.
    #[serde(rename = "call.answered")]
    Answered,
    /// A re-INVITE put the call on hold: `on_hold`.
    #[serde(rename = "call.held")]
    Held,
    /// A re-INVITE took it off hold: `in_progress`.
    #[serde(rename = "call.resumed")]
    Resumed,
    /// The call is over: a BYE after an answer (no `sip_code`, or 2xx), or the final response
    /// that ended an unanswered INVITE (`sip_code` 4xx–6xx).
    #[serde(rename = "call.ended")]
    Ended,
}

impl SipEventKind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Started => "call.started",
            Self::Ringing => "call.ringing",
            Self::Answered => "call.answered",
            Self::Held => "call.held",
            Self::Resumed => "call.resumed",
            Self::Ended => "call.ended",
        }
    }
}

/// One event about one call, as a SIP server posts it (`application/json`, signed with
/// `X-Callbase-Signature`). Members not listed here are refused, so a misspelt one is noticed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
// Read by `parse`, which refuses unknown members; this tells the schema so.
#[serde(deny_unknown_fields)]
pub struct SipWebhookEvent {
    pub event: SipEventKind,
    /// The SIP Call-ID of the call's dialog.
    #[schema(max_length = 255, example = "a84b4c76e66710@pc33.example.com")]
    pub sip_call_id: String,
    pub direction: Direction,
    /// The caller as the server knows it, kept as written (a number, an extension, a URI).
    #[schema(example = "+49301234567")]
    pub from_number: String,
    #[schema(example = "23")]
    pub to_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_name: Option<String>,
    /// When it happened (RFC 3339); the time the event was received when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// The SIP response code the event is about: the final response on `call.ended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 100, maximum = 699, example = 486)]
    pub sip_code: Option<u16>,
    /// The reason phrase or hang-up cause, as the server words it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The server's own id of the call, when it is not the Call-ID: the call is then known by
    /// it, and several Call-IDs (legs, re-INVITEs after a transfer) can report one call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 255)]
    pub external_id: Option<String>,
}

impl SipWebhookEvent {
    /// Every member an event may have.
    pub const MEMBERS: &[&str] = &[
        "event",
        "sip_call_id",
        "direction",
        "from_number",
        "to_number",
        "from_name",
        "to_name",
        "at",
        "sip_code",
        "reason",
        "external_id",
    ];

    /// Reads a body, and answers the event with the object as received (for `raw`).
    pub fn parse(body: &[u8]) -> Result<(Self, serde_json::Value), IngestError> {
        let members = Members::parse(body, Self::MEMBERS)?;
        let sip_code = members.optional::<u16>("sip_code")?;
        if let Some(code) = sip_code.filter(|code| !(100..=699).contains(code)) {
            let reason = "is not a SIP response code (100–699)";
            return Err(IngestError::invalid("sip_code", reason, &code.to_string()));
        }
        let event = Self {
            event: members.required("event")?,
            sip_call_id: id("sip_call_id", &members.required::<String>("sip_call_id")?)?,
            direction: members.required("direction")?,
            from_number: required_text(&members, "from_number")?,
            to_number: required_text(&members, "to_number")?,
            from_name: members.text("from_name")?,
            to_name: members.text("to_name")?,
            at: members.optional("at")?,
            sip_code,
            reason: members.text("reason")?,
            external_id: members
                .optional::<String>("external_id")?
                .map(|value| id("external_id", &value))
                .transpose()?,
        };
        Ok((event, members.into_raw()))
    }
}

fn required_text(members: &Members, field: &'static str) -> Result<String, IngestError> {
    members.text(field)?.ok_or(IngestError::Missing { field })
}

/// The report a SIP webhook body makes; `received_at` dates it when it has no `at`.
///
/// - `external_id` is `external_id` when given, else `sip_call_id`; `sip_call_id` is kept.
/// - `call.ended` takes its status from `sip_code`: none or 2xx → `completed`; 486 and 600 →
///   `busy`; 480 and 408 (nobody answered in time) → `missed` inbound, `no_answer`
///   otherwise; 487 (the caller gave up) → `canceled`; any other 4xx–6xx → `failed`. A 1xx
///   or 3xx cannot end a call and is refused.
/// - `end_reason` is the code on an unanswered end (the intake reads it as the SIP code),
///   else `reason`.
/// - `receipt` is `{external_id}:{event}`, then `:{at}` when `at` is given, so a call held
///   twice keeps both holds and a re-delivery repeats the receipt.
pub fn call_report(body: &[u8], received_at: Timestamp) -> Result<CallReport, IngestError> {
    let (event, raw) = SipWebhookEvent::parse(body)?;
    let status = match event.event {
        SipEventKind::Started => CallStatus::Initiated,
        SipEventKind::Ringing => CallStatus::Ringing,
        SipEventKind::Answered | SipEventKind::Resumed => CallStatus::InProgress,
        SipEventKind::Held => CallStatus::OnHold,
        SipEventKind::Ended => ended(event.sip_code, event.direction)?,
    };
    let end_reason = match (status, event.sip_code) {
        (status, _) if !status.is_final() => None,
        (CallStatus::Completed, _) | (_, None) => event.reason,
        (_, Some(code)) => Some(code.to_string()),
    };
    let external_id = event.external_id.unwrap_or_else(|| event.sip_call_id.clone());
    let mut receipt = format!("{external_id}:{}", event.event.as_str());
    if let Some(at) = event.at {
        receipt = format!("{receipt}:{at}");
    }
    Ok(CallReport {
        source: source(SOURCE),
        external_id,
        receipt,
        direction: Some(event.direction),
        status: Some(status),
        at: event.at.unwrap_or(received_at),
        from_number: Some(event.from_number),
        from_name: event.from_name,
        to_number: Some(event.to_number),
        to_name: event.to_name,
        talk_seconds: None,
        end_reason,
        sip_call_id: Some(event.sip_call_id),
        parent_external_id: None,
        raw,
    })
}

/// How a call ends, by the final SIP response.
fn ended(code: Option<u16>, direction: Direction) -> Result<CallStatus, IngestError> {
    Ok(match code {
        None | Some(200..=299) => CallStatus::Completed,
        Some(486 | 600) => CallStatus::Busy,
        Some(408 | 480) if direction == Direction::Inbound => CallStatus::Missed,
        Some(408 | 480) => CallStatus::NoAnswer,
        Some(487) => CallStatus::Canceled,
        Some(400..=699) => CallStatus::Failed,
        Some(other) => {
            let reason = "cannot end a call: give 2xx or the final 4xx–6xx response";
            return Err(IngestError::invalid("sip_code", reason, &other.to_string()));
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn received() -> Timestamp {
        "2025-06-02T08:00:00Z".parse().expect("a time")
    }

    fn body(extra: &serde_json::Value) -> Vec<u8> {
        let mut event = json!({
            "event": "call.ended",
            "sip_call_id": "a84b4c76e66710@pc33.example.com",
            "direction": "inbound",
            "from_number": "+49301234567",
            "to_number": "23",
        });
        if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
            event.extend(extra.clone());
        }
        serde_json::to_vec(&event).expect("json")
    }

    fn report(extra: &serde_json::Value) -> Result<CallReport, IngestError> {
        call_report(&body(extra), received())
    }

    #[test]
    fn a_call_through_its_events() {
        let at = "2025-06-02T07:59:00Z";
        let statuses = [
            ("call.started", CallStatus::Initiated),
            ("call.ringing", CallStatus::Ringing),
            ("call.answered", CallStatus::InProgress),
            ("call.held", CallStatus::OnHold),
            ("call.resumed", CallStatus::InProgress),
            ("call.ended", CallStatus::Completed),
        ];
        for (event, status) in statuses {
            let report = report(&json!({"event": event, "at": at})).expect("a report");
            assert_eq!(report.status, Some(status), "{event}");
            assert_eq!(report.source.as_str(), "sip");
            assert_eq!(report.external_id, "a84b4c76e66710@pc33.example.com");
            assert_eq!(report.sip_call_id.as_deref(), Some("a84b4c76e66710@pc33.example.com"));
            assert_eq!(report.receipt, format!("a84b4c76e66710@pc33.example.com:{event}:{at}"));
            assert_eq!(report.at.to_string(), at);
            assert_eq!(report.end_reason, None);
        }
    }

    #[test]
    fn final_responses() {
        use CallStatus::{Busy, Canceled, Completed, Failed, Missed, NoAnswer};
        let cases = [
            (200, "inbound", Completed, None),
            (486, "inbound", Busy, Some("486")),
            (600, "outbound", Busy, Some("600")),
            (480, "inbound", Missed, Some("480")),
            (408, "outbound", NoAnswer, Some("408")),
            (480, "internal", NoAnswer, Some("480")),
            (487, "inbound", Canceled, Some("487")),
            (404, "outbound", Failed, Some("404")),
            (503, "outbound", Failed, Some("503")),
            (603, "inbound", Failed, Some("603")),
        ];
        for (code, direction, status, reason) in cases {
            let extra = json!({"sip_code": code, "direction": direction, "reason": "Busy Here"});
            let report = report(&extra).expect("a report");
            assert_eq!(report.status, Some(status), "{code} {direction}");
            let expected = reason.map_or(Some("Busy Here"), Some);
            assert_eq!(report.end_reason.as_deref(), expected, "{code}");
        }
        let received_at = report(&json!({})).expect("a report");
        assert_eq!((received_at.at, received_at.status), (received(), Some(Completed)));
        assert_eq!(received_at.receipt, "a84b4c76e66710@pc33.example.com:call.ended");
    }

    #[test]
    fn the_servers_own_id_names_the_call() {
        let extra = json!({"external_id": "pbx-4711", "from_name": "Alice", "to_name": "Support"});
        let report = report(&extra).expect("a report");
        assert_eq!(report.external_id, "pbx-4711");
        assert_eq!(report.sip_call_id.as_deref(), Some("a84b4c76e66710@pc33.example.com"));
        assert_eq!(
            (report.from_name.as_deref(), report.to_name.as_deref()),
            (Some("Alice"), Some("Support"))
        );
        assert_eq!(report.raw["external_id"], "pbx-4711");
    }

    #[test]
    fn refusals_name_the_field() {
        let field = |extra: serde_json::Value| {
            report(&extra).err().and_then(|e| e.field().map(str::to_owned))
        };
        assert_eq!(field(json!({"event": "call.exploded"})), Some("event".into()));
        assert_eq!(field(json!({"direction": "sideways"})), Some("direction".into()));
        assert_eq!(field(json!({"sip_code": 180})), Some("sip_code".into()));
        assert_eq!(field(json!({"sip_code": 302})), Some("sip_code".into()));
        assert_eq!(field(json!({"sip_code": 700})), Some("sip_code".into()));
        assert_eq!(field(json!({"sip_code": "486"})), Some("sip_code".into()));
        assert_eq!(field(json!({"at": "yesterday"})), Some("at".into()));
        assert_eq!(field(json!({"sip_call_id": ""})), Some("sip_call_id".into()));
        assert_eq!(field(json!({"from_number": " "})), Some("from_number".into()));
        assert_eq!(field(json!({"to_number": null})), Some("to_number".into()));
        assert_eq!(field(json!({"sipcode": 486})), Some("sipcode".into()));
        let ringing_180 = report(&json!({"event": "call.ringing", "sip_code": 180}));
        assert!(ringing_180.is_ok(), "a provisional code on a provisional event");
    }

    #[test]
    fn the_schema_refuses_what_the_parser_refuses() {
        let schema = <SipWebhookEvent as utoipa::PartialSchema>::schema();
        let schema = serde_json::to_value(schema).expect("json");
        assert_eq!(schema["additionalProperties"], json!(false));
        let required = json!(["event", "sip_call_id", "direction", "from_number", "to_number"]);
        assert_eq!(schema["required"], required);
    }

    #[test]
    fn the_members_are_the_schemas() {
        let event = SipWebhookEvent {
            event: SipEventKind::Ended,
            sip_call_id: "c".into(),
            direction: Direction::Outbound,
            from_number: "1".into(),
            to_number: "2".into(),
            from_name: Some("a".into()),
            to_name: Some("b".into()),
            at: Some(received()),
            sip_code: Some(486),
            reason: Some("Busy Here".into()),
            external_id: Some("e".into()),
        };
        let json = serde_json::to_value(&event).expect("json");
        let mut names: Vec<&str> =
            json.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        names.sort_unstable();
        let mut members = SipWebhookEvent::MEMBERS.to_vec();
        members.sort_unstable();
        assert_eq!(names, members);
        let body = serde_json::to_vec(&event).expect("json");
        assert_eq!(SipWebhookEvent::parse(&body).map(|(parsed, _)| parsed), Ok(event));
    }
}
