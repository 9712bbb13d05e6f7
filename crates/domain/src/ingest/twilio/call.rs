//! Twilio's call status callback (`StatusCallback`, `CallbackSource=call-progress-events`)
//! read into a [`CallReport`].

use jiff::{SignedDuration, Timestamp};

use super::{SOURCE, parse_time};
use crate::ingest::{Form, IngestError, id, source};
use crate::{CallReport, CallStatus, Direction};

/// The report a status callback makes. `received_at` dates it when it has no `Timestamp`.
///
/// - `CallStatus`: `queued` and `initiated` are `initiated`; `no-answer` on an inbound call is
///   `missed` (an inbound call nobody picked up, as everywhere in callbase), otherwise
///   `no_answer`.
/// - `Direction`: `outbound-api` and `outbound-dial` (a `<Dial>` leg) are both `outbound`;
///   plain `outbound` is read too.
/// - `at` is `Timestamp` plus `SequenceNumber` microseconds (at most 999 999): Twilio's
///   `Timestamp` has whole seconds, so `initiated`, `ringing` and `in-progress` often share
///   one, and the sequence keeps them in the order Twilio sent them when sorted by time.
/// - `end_reason` is `SipResponseCode` on `failed`, `busy` and `no-answer`.
/// - `receipt` is `{CallSid}:{SequenceNumber, or CallStatus without one}:{CallStatus}`, which a
///   re-delivery repeats.
pub fn call_report(form: &Form, received_at: Timestamp) -> Result<CallReport, IngestError> {
    let external_id = id("CallSid", form.required("CallSid")?)?;
    let direction = form.text("Direction")?.map(direction).transpose()?;
    let status_text = form.required("CallStatus")?;
    let status = status(status_text, direction)?;
    let sequence = form.number::<u32>("SequenceNumber", "is not a whole number")?;
    let at = match form.text("Timestamp")? {
        Some(text) => {
            let stamped = parse_time(text).ok_or_else(|| {
                IngestError::invalid("Timestamp", "is not an RFC 2822 date", text)
            })?;
            let step = sequence.unwrap_or(0).min(999_999);
            stamped.checked_add(SignedDuration::from_micros(i64::from(step))).unwrap_or(stamped)
        }
        None => received_at,
    };
    let talk_seconds = form.number::<i64>("CallDuration", "is not a whole number of seconds")?;
    if talk_seconds.is_some_and(i64::is_negative) {
        let value = form.text("CallDuration")?.unwrap_or_default();
        return Err(IngestError::invalid("CallDuration", "is negative", value));
    }
    let ended_unconnected = matches!(
        status,
        CallStatus::Failed | CallStatus::Busy | CallStatus::NoAnswer | CallStatus::Missed
    );
    let end_reason = if ended_unconnected { form.text("SipResponseCode")? } else { None };
    let step = sequence.map_or_else(|| status_text.to_owned(), |sequence| sequence.to_string());
    Ok(CallReport {
        source: source(SOURCE),
        receipt: format!("{external_id}:{step}:{status_text}"),
        external_id,
        direction,
        status: Some(status),
        at,
        from_number: form.text("From")?.map(str::to_owned),
        from_name: form.text("CallerName")?.map(str::to_owned),
        to_number: form.text("To")?.map(str::to_owned),
        to_name: None,
        talk_seconds,
        end_reason: end_reason.map(|code| code.trim().to_owned()),
        sip_call_id: form.text("SipCallId")?.map(|value| id("SipCallId", value)).transpose()?,
        parent_external_id: form
            .text("ParentCallSid")?
            .map(|value| id("ParentCallSid", value))
            .transpose()?,
        raw: form.to_json(),
    })
}

fn direction(text: &str) -> Result<Direction, IngestError> {
    match text {
        "inbound" => Ok(Direction::Inbound),
        "outbound-api" | "outbound-dial" | "outbound" => Ok(Direction::Outbound),
        other => Err(IngestError::invalid(
            "Direction",
            "is not inbound, outbound-api or outbound-dial",
            other,
        )),
    }
}

fn status(text: &str, direction: Option<Direction>) -> Result<CallStatus, IngestError> {
    Ok(match text {
        "queued" | "initiated" => CallStatus::Initiated,
        "ringing" => CallStatus::Ringing,
        "in-progress" => CallStatus::InProgress,
        "completed" => CallStatus::Completed,
        "busy" => CallStatus::Busy,
        "no-answer" if direction == Some(Direction::Inbound) => CallStatus::Missed,
        "no-answer" => CallStatus::NoAnswer,
        "canceled" => CallStatus::Canceled,
        "failed" => CallStatus::Failed,
        other => {
            return Err(IngestError::invalid("CallStatus", "is not a Twilio call status", other));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::STATUS_BODY;
    use super::*;

    fn received() -> Timestamp {
        "2021-08-10T18:47:20Z".parse().expect("a time")
    }

    fn report(body: &str) -> Result<CallReport, IngestError> {
        call_report(&Form::parse(body.as_bytes()).expect("a form"), received())
    }

    #[test]
    fn a_full_status_callback() {
        let report = report(STATUS_BODY).expect("a report");
        assert_eq!(report.source.as_str(), "twilio");
        assert_eq!(report.external_id, "CA3f1d7a4b9c2e8f0a1b2c3d4e5f6a7b8c");
        assert_eq!(report.receipt, "CA3f1d7a4b9c2e8f0a1b2c3d4e5f6a7b8c:3:completed");
        assert_eq!(report.direction, Some(Direction::Outbound));
        assert_eq!(report.status, Some(CallStatus::Completed));
        assert_eq!(report.at.to_string(), "2021-08-10T18:47:14.000003Z");
        assert_eq!(report.from_number.as_deref(), Some("+15558675310"));
        assert_eq!(report.to_number.as_deref(), Some("+15017122661"));
        assert_eq!((report.from_name, report.to_name), (None, None));
        assert_eq!(report.talk_seconds, Some(49));
        assert_eq!(report.end_reason, None);
        assert_eq!((report.sip_call_id, report.parent_external_id), (None, None));
        assert_eq!(report.raw["CallbackSource"], "call-progress-events");
        assert_eq!(report.raw["ToZip"], "");
        assert_eq!(report.raw.as_object().map(serde_json::Map::len), Some(30));
    }

    #[test]
    fn every_call_status() {
        let cases = [
            ("queued", "inbound", CallStatus::Initiated),
            ("initiated", "outbound-api", CallStatus::Initiated),
            ("ringing", "inbound", CallStatus::Ringing),
            ("in-progress", "inbound", CallStatus::InProgress),
            ("completed", "outbound-dial", CallStatus::Completed),
            ("busy", "outbound-api", CallStatus::Busy),
            ("no-answer", "outbound-dial", CallStatus::NoAnswer),
            ("no-answer", "inbound", CallStatus::Missed),
            ("canceled", "inbound", CallStatus::Canceled),
            ("failed", "outbound-api", CallStatus::Failed),
        ];
        for (status, direction, expected) in cases {
            let body = format!("CallSid=CA1&CallStatus={status}&Direction={direction}");
            let report = report(&body).expect("a report");
            assert_eq!(report.status, Some(expected), "{status} {direction}");
            assert_eq!(report.at, received(), "no Timestamp: received_at");
            assert_eq!(report.receipt, format!("CA1:{status}:{status}"));
        }
    }

    #[test]
    fn a_busy_dial_leg_keeps_its_sip_code_and_parent() {
        let body = "CallSid=CA2&ParentCallSid=CA1&CallStatus=busy&Direction=outbound-dial&\
            SipResponseCode=486&CallDuration=0&SequenceNumber=2&SipCallId=abc%40sip.example&\
            Timestamp=Sun%2C+25+Mar+2018+09%3A53%3A19+%2B0000&CallerName=Alice";
        let report = report(body).expect("a report");
        assert_eq!(report.status, Some(CallStatus::Busy));
        assert_eq!(report.end_reason.as_deref(), Some("486"));
        assert_eq!(report.parent_external_id.as_deref(), Some("CA1"));
        assert_eq!(report.sip_call_id.as_deref(), Some("abc@sip.example"));
        assert_eq!(report.from_name.as_deref(), Some("Alice"));
        assert_eq!(report.talk_seconds, Some(0));
        assert_eq!(report.at.to_string(), "2018-03-25T09:53:19.000002Z");
        let completed = body.replace("busy", "completed");
        let completed =
            super::call_report(&Form::parse(completed.as_bytes()).expect("a form"), received());
        assert_eq!(completed.map(|r| r.end_reason), Ok(None), "no end reason once connected");
    }

    #[test]
    fn callbacks_within_a_second_keep_their_order() {
        let at = |sequence: u32| {
            let body = format!(
                "CallSid=CA1&CallStatus=ringing&SequenceNumber={sequence}&\
                Timestamp=Tue%2C+10+Aug+2021+18%3A47%3A14+%2B0000"
            );
            report(&body).map(|report| report.at).expect("a report")
        };
        assert!(at(0) < at(1) && at(1) < at(2));
        assert!(at(u32::MAX) < "2021-08-10T18:47:15Z".parse::<Timestamp>().expect("a time"));
    }

    #[test]
    fn refusals_name_the_field() {
        let field = |body: &str| report(body).err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(field("CallStatus=ringing"), Some("CallSid".into()));
        assert_eq!(field("CallSid=&CallStatus=ringing"), Some("CallSid".into()));
        assert_eq!(field("CallSid=CA1"), Some("CallStatus".into()));
        assert_eq!(field("CallSid=CA1&CallStatus=answered"), Some("CallStatus".into()));
        assert_eq!(field("CallSid=CA1&CallStatus=ringing&Direction=up"), Some("Direction".into()));
        assert_eq!(field("CallSid=CA1&CallStatus=ringing&Timestamp=now"), Some("Timestamp".into()));
        assert_eq!(
            field("CallSid=CA1&CallStatus=ringing&SequenceNumber=-1"),
            Some("SequenceNumber".into())
        );
        assert_eq!(
            field("CallSid=CA1&CallStatus=completed&CallDuration=-4"),
            Some("CallDuration".into())
        );
        assert_eq!(field("CallSid=CA1&CallSid=CA2&CallStatus=ringing"), Some("CallSid".into()));
    }
}
