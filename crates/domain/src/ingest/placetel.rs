//! Placetel's Notify API (INGEST-2): one form-encoded POST per call event, signed with
//! `X-PLACETEL-SIGNATURE`. Read from Placetel's own description (the README of
//! github.com/Placetel/call-control-notify-api, 2025-03); TELEPHONY.md has no Placetel part.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;

use super::{Form, IngestError, SignatureError, hex, id, source};
use crate::{CallReport, CallStatus, Direction};

/// The source Placetel's calls are logged under.
pub const SOURCE: &str = "placetel";

type HmacSha256 = Hmac<sha2::Sha256>;

/// Checks `X-PLACETEL-SIGNATURE`: the hex HMAC-SHA256 of the raw body under the shared
/// secret set in Placetel's external API settings, in either case.
pub fn verify_signature(
    shared_secret: &[u8],
    raw_body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader)?;
    let claimed = hex::decode(header.trim())
        .filter(|tag| tag.len() == 32)
        .ok_or(SignatureError::MalformedHeader)?;
    let mut mac =
        HmacSha256::new_from_slice(shared_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(raw_body);
    mac.verify_slice(&claimed).map_err(|_| SignatureError::Mismatch)
}

/// The `X-PLACETEL-SIGNATURE` Placetel sends with `raw_body` (for tests and documentation).
#[must_use]
pub fn sign(shared_secret: &[u8], raw_body: &[u8]) -> String {
    let Ok(mut mac) = HmacSha256::new_from_slice(shared_secret) else {
        // HMAC takes a key of any length.
        return String::new();
    };
    mac.update(raw_body);
    hex::encode(&mac.finalize().into_bytes())
}

/// The report a Notify event makes, dated `received_at` (Placetel sends no time).
///
/// - `IncomingCall` is an inbound call ringing; `OutgoingCall` an outbound call placed
///   (`initiated`: Placetel says nothing of the far end ringing); `CallAccepted` (incoming
///   calls only) is `in_progress`.
/// - `HungUp` ends the call by its `type`: `accepted` → `completed`; `busy` → `busy`;
///   `canceled` → `canceled`; `missed` and `voicemail` (nobody picked up; the mailbox is not
///   a person) → `missed` for an inbound call, `no_answer` for an outbound one;
///   `blocked` → `failed` (refused by rule, not a call to return, so not counted as missed);
///   `unavailable` (the destination is offline: it never rang) and `congestion` → `failed`.
///   `end_reason` is the type, except for `accepted`.
/// - `direction` `in`/`out`, when sent, must agree with the event; a `HungUp` without it has
///   none. Internal calls (SIP ids on both sides) are not told apart from outbound ones.
/// - `from` and `to` are kept as written: `anonymous`, extensions such as `23`, and SIP ids
///   such as `777712345@fpbx.de`. `peer` stays in `raw`.
/// - `duration` (seconds of an accepted call, `0` otherwise) is the talk time.
/// - `receipt` is `{call_id}:{event}`.
pub fn call_report(form: &Form, received_at: Timestamp) -> Result<CallReport, IngestError> {
    let event = form.required("event")?;
    let external_id = id("call_id", form.required("call_id")?)?;
    let given = form.text("direction")?.map(direction).transpose()?;
    let (implied, status, end_reason) = match event {
        "IncomingCall" => (Some(Direction::Inbound), CallStatus::Ringing, None),
        "OutgoingCall" => (Some(Direction::Outbound), CallStatus::Initiated, None),
        "CallAccepted" => (Some(Direction::Inbound), CallStatus::InProgress, None),
        "HungUp" => {
            let kind = form.required("type")?;
            let (status, reason) = hung_up(kind, given)?;
            (None, status, reason)
        }
        other => {
            let reason = "is not IncomingCall, OutgoingCall, CallAccepted or HungUp";
            return Err(IngestError::invalid("event", reason, other));
        }
    };
    if let (Some(implied), Some(given)) = (implied, given)
        && implied != given
    {
        let value = form.text("direction")?.unwrap_or_default();
        return Err(IngestError::invalid("direction", &format!("contradicts {event}"), value));
    }
    let talk_seconds = form.number::<i64>("duration", "is not a whole number of seconds")?;
    if talk_seconds.is_some_and(i64::is_negative) {
        let value = form.text("duration")?.unwrap_or_default();
        return Err(IngestError::invalid("duration", "is negative", value));
    }
    Ok(CallReport {
        source: source(SOURCE),
        receipt: format!("{external_id}:{event}"),
        external_id,
        direction: implied.or(given),
        status: Some(status),
        at: received_at,
        from_number: form.text("from")?.map(|n| n.trim().to_owned()),
        from_name: None,
        to_number: form.text("to")?.map(|n| n.trim().to_owned()),
        to_name: None,
        talk_seconds,
        end_reason: end_reason.map(str::to_owned),
        sip_call_id: None,
        parent_external_id: None,
        raw: form.to_json(),
    })
}

fn direction(text: &str) -> Result<Direction, IngestError> {
    match text {
        "in" => Ok(Direction::Inbound),
        "out" => Ok(Direction::Outbound),
        other => Err(IngestError::invalid("direction", "is not in or out", other)),
    }
}

/// The final status a `HungUp` type means, and the end reason it records.
fn hung_up(
    kind: &str,
    direction: Option<Direction>,
) -> Result<(CallStatus, Option<&'static str>), IngestError> {
    let unanswered = match direction {
        Some(Direction::Outbound | Direction::Internal) => CallStatus::NoAnswer,
        Some(Direction::Inbound) | None => CallStatus::Missed,
    };
    Ok(match kind {
        "accepted" => (CallStatus::Completed, None),
        "voicemail" => (unanswered, Some("voicemail")),
        "missed" => (unanswered, Some("missed")),
        "blocked" => (CallStatus::Failed, Some("blocked")),
        "busy" => (CallStatus::Busy, Some("busy")),
        "canceled" => (CallStatus::Canceled, Some("canceled")),
        "unavailable" => (CallStatus::Failed, Some("unavailable")),
        "congestion" => (CallStatus::Failed, Some("congestion")),
        other => return Err(IngestError::invalid("type", "is not a Placetel hang-up type", other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Placetel's own example: secret `12345`, this payload, this signature.
    const DOC_BODY: &str = "call_id=4a4cbb39578170aed9a2761a7bec8c7e704a541f52291ef603d6f5f152980c3c\
        &event=CallAccepted&from=0123456789&to=0987654321";
    const DOC_SIGNATURE: &str = "c4f823c5b8806432fe2b83b1fc2ee714422e0cdfb4b5129152a7d0bbcd7792d0";
    const CALL_ID: &str = "f4591ba315d81671d7a06c2a3b4f963dafd119de39cb26edd8a6476676b2f447";

    fn received() -> Timestamp {
        "2025-03-11T09:30:00Z".parse().expect("a time")
    }

    fn report(body: &str) -> Result<CallReport, IngestError> {
        call_report(&Form::parse(body.as_bytes()).expect("a form"), received())
    }

    #[test]
    fn placetels_signature_example() {
        let body = DOC_BODY.as_bytes();
        assert_eq!(verify_signature(b"12345", body, Some(DOC_SIGNATURE)), Ok(()));
        let upper = DOC_SIGNATURE.to_ascii_uppercase();
        assert_eq!(verify_signature(b"12345", body, Some(&upper)), Ok(()));
        assert_eq!(sign(b"12345", body), DOC_SIGNATURE);
        let mismatch = verify_signature(b"12346", body, Some(DOC_SIGNATURE));
        assert_eq!(mismatch, Err(SignatureError::Mismatch));
        let changed = DOC_BODY.replace("CallAccepted", "HungUp");
        let changed = verify_signature(b"12345", changed.as_bytes(), Some(DOC_SIGNATURE));
        assert_eq!(changed, Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(b"12345", body, None), Err(SignatureError::MissingHeader));
        let short = verify_signature(b"12345", body, Some(&DOC_SIGNATURE[..62]));
        assert_eq!(short, Err(SignatureError::MalformedHeader));
        let not_hex = verify_signature(b"12345", body, Some("sha256=c4f8"));
        assert_eq!(not_hex, Err(SignatureError::MalformedHeader));
    }

    #[test]
    fn the_documented_accepted_event() {
        let report = report(DOC_BODY).expect("a report");
        assert_eq!(report.source.as_str(), "placetel");
        assert_eq!(report.status, Some(CallStatus::InProgress));
        assert_eq!(report.direction, Some(Direction::Inbound));
        assert_eq!(report.receipt, format!("{}:CallAccepted", report.external_id));
        assert_eq!(report.at, received());
    }

    #[test]
    fn an_inbound_call_from_ring_to_hang_up() {
        let incoming = format!(
            "event=IncomingCall&from=anonymous&to=022129191999&call_id={CALL_ID}&direction=in"
        );
        let report_of = |body: &str| report(body).expect("a report");
        let ringing = report_of(&incoming);
        assert_eq!(ringing.status, Some(CallStatus::Ringing));
        assert_eq!(ringing.from_number.as_deref(), Some("anonymous"), "kept as written");
        assert_eq!(ringing.to_number.as_deref(), Some("022129191999"), "no E.164 invented");
        assert_eq!(ringing.receipt, format!("{CALL_ID}:IncomingCall"));
        let accepted = format!(
            "event=CallAccepted&from=anonymous&to=022129191999&call_id={CALL_ID}\
             &peer=7777abcdefg%40fpbx.de&direction=in"
        );
        let accepted = report_of(&accepted);
        assert_eq!(accepted.raw["peer"], "7777abcdefg@fpbx.de");
        let hung_up = format!(
            "event=HungUp&from=anonymous&to=022129191999&call_id={CALL_ID}&type=accepted\
             &duration=73&direction=in"
        );
        let ended = report_of(&hung_up);
        assert_eq!(ended.status, Some(CallStatus::Completed));
        assert_eq!((ended.talk_seconds, ended.end_reason), (Some(73), None));
        assert_eq!(ended.receipt, format!("{CALL_ID}:HungUp"));
    }

    #[test]
    fn an_internal_outgoing_call_keeps_its_sip_ids() {
        let body = "event=OutgoingCall&from=777712345%40fpbx.de&to=777754321%40fpbx.de\
            &peer=777712345%40fpbx.de&call_id=ab12&direction=out";
        let report = report(body).expect("a report");
        assert_eq!(report.status, Some(CallStatus::Initiated));
        assert_eq!(report.direction, Some(Direction::Outbound));
        assert_eq!(report.from_number.as_deref(), Some("777712345@fpbx.de"));
        assert_eq!(report.to_number.as_deref(), Some("777754321@fpbx.de"));
    }

    #[test]
    fn every_hang_up_type() {
        use CallStatus::{Busy, Canceled, Completed, Failed, Missed, NoAnswer};
        let cases = [
            ("accepted", "in", Completed, None),
            ("voicemail", "in", Missed, Some("voicemail")),
            ("voicemail", "out", NoAnswer, Some("voicemail")),
            ("missed", "in", Missed, Some("missed")),
            ("missed", "out", NoAnswer, Some("missed")),
            ("missed", "", Missed, Some("missed")),
            ("blocked", "in", Failed, Some("blocked")),
            ("busy", "out", Busy, Some("busy")),
            ("canceled", "out", Canceled, Some("canceled")),
            ("unavailable", "out", Failed, Some("unavailable")),
            ("congestion", "out", Failed, Some("congestion")),
        ];
        for (kind, direction, status, reason) in cases {
            let body =
                format!("event=HungUp&call_id=c1&type={kind}&duration=0&direction={direction}");
            let report = report(&body).expect("a report");
            assert_eq!(report.status, Some(status), "{kind} {direction}");
            assert_eq!(report.end_reason.as_deref(), reason, "{kind}");
            assert_eq!(report.direction.is_none(), direction.is_empty());
        }
    }

    #[test]
    fn refusals_name_the_field() {
        let field = |body: &str| report(body).err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(field("call_id=c1"), Some("event".into()));
        assert_eq!(field("event=Ringing&call_id=c1"), Some("event".into()));
        assert_eq!(field("event=IncomingCall"), Some("call_id".into()));
        assert_eq!(field("event=HungUp&call_id=c1"), Some("type".into()));
        assert_eq!(field("event=HungUp&call_id=c1&type=gone"), Some("type".into()));
        assert_eq!(field("event=IncomingCall&call_id=c1&direction=out"), Some("direction".into()));
        assert_eq!(field("event=IncomingCall&call_id=c1&direction=up"), Some("direction".into()));
        assert_eq!(
            field("event=HungUp&call_id=c1&type=missed&duration=x"),
            Some("duration".into())
        );
    }
}
