//! The rules for taking a call in, whatever its source (INGEST): the status a logged call's
//! timestamps imply, the checks that they agree, the timeline a logged call starts with, and
//! how a provider's report about a call moves it. Pure; the store runs [`apply_report`] in
//! the transaction that finds or creates the call.

use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use super::{
    Call, CallEvent, CallReport, CallStatus, Direction, StatusChange, TimelineEntry, Transition,
    stored_number,
};
use crate::{CallId, RegionCode, UserId, WorkspaceId};

/// A call's payloads kept at most: a call hears from its provider a handful of times, so this
/// bounds what a misbehaving one can pile onto one row.
pub const MAX_RAW_PAYLOADS: usize = 32;

/// A field a call cannot have as given, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}

/// The status the timestamps imply when the client gives none.
#[must_use]
pub fn implied_status(direction: Direction, answered: bool, ended: bool) -> CallStatus {
    match (answered, ended, direction) {
        (true, true, _) => CallStatus::Completed,
        (true, false, _) => CallStatus::InProgress,
        (false, true, Direction::Inbound) => CallStatus::Missed,
        (false, true, _) => CallStatus::NoAnswer,
        (false, false, _) => CallStatus::Ringing,
    }
}

/// Refuses timestamps and a status that contradict each other.
///
/// # Errors
/// Naming the first field that disagrees.
pub fn check_consistency(
    status: CallStatus,
    started_at: Timestamp,
    answered_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
) -> Result<(), FieldError> {
    if answered_at.is_some_and(|answered| answered < started_at) {
        return Err(FieldError::new("answered_at", "must not be before started_at"));
    }
    if ended_at.is_some_and(|ended| ended < answered_at.unwrap_or(started_at)) {
        return Err(FieldError::new("ended_at", "must not be before started_at or answered_at"));
    }
    let answered =
        matches!(status, CallStatus::InProgress | CallStatus::OnHold | CallStatus::Completed);
    if answered && answered_at.is_none() {
        return Err(FieldError::new("answered_at", format!("required for a {status} call")));
    }
    let unanswered = !answered && status != CallStatus::Failed;
    if unanswered && answered_at.is_some() {
        return Err(FieldError::new("answered_at", format!("a {status} call was never answered")));
    }
    if status.is_final() && ended_at.is_none() {
        return Err(FieldError::new("ended_at", format!("required for a {status} call")));
    }
    if !status.is_final() && ended_at.is_some() {
        return Err(FieldError::new("status", format!("a call that ended cannot be {status}")));
    }
    Ok(())
}

/// The timeline a logged call starts with: one entry per moment its timestamps record.
#[must_use]
pub fn initial_timeline(call: &Call, actor: &str) -> Vec<CallEvent> {
    let entry = |status: CallStatus, at: Timestamp| {
        let change = StatusChange {
            status,
            applied: true,
            current: status,
            end_reason: None,
            sip_code: None,
        };
        CallEvent::new(call.id, at, Some(actor.to_owned()), &TimelineEntry::StatusChanged(change))
    };
    let first = match call.status {
        CallStatus::Initiated => CallStatus::Initiated,
        _ => CallStatus::Ringing,
    };
    let mut events = vec![entry(first, call.started_at)];
    if let Some(answered) = call.answered_at {
        events.push(entry(CallStatus::InProgress, answered));
    }
    if let Some(ended) = call.ended_at {
        events.push(entry(call.status, ended));
    }
    if call.status == CallStatus::OnHold {
        events.push(entry(CallStatus::OnHold, call.answered_at.unwrap_or(call.started_at)));
    }
    events
}

/// What a call started by a report takes besides the report: where national numbers are
/// read, the call it is a leg of, and what a call placed here knows that its provider's
/// reports do not (who placed it, for what, why).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStart {
    /// The workspace's region.
    pub region: Option<RegionCode>,
    pub parent_call_id: Option<CallId>,
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub phone_number_id: Option<Uuid>,
    pub notes: Option<String>,
}

/// The call the first report about it starts in `workspace`: inbound (or of unknown
/// direction) ringing, otherwise initiated, at the report's time, its numbers stored as
/// E.164 where they parse. Not yet flagged against the do-not-call list.
#[must_use]
pub fn started_by(workspace: WorkspaceId, report: &CallReport, start: &CallStart) -> Call {
    let number =
        |raw: &Option<String>| raw.as_deref().map(|raw| stored_number(raw, start.region.as_ref()));
    let status = match report.direction {
        Some(Direction::Inbound) | None => CallStatus::Ringing,
        Some(_) => CallStatus::Initiated,
    };
    Call {
        external_id: Some(report.external_id.clone()),
        from_number: number(&report.from_number),
        from_name: report.from_name.clone(),
        to_number: number(&report.to_number),
        to_name: report.to_name.clone(),
        sip_call_id: report.sip_call_id.clone(),
        parent_call_id: start.parent_call_id,
        user_id: start.user_id,
        agent_id: start.agent_id,
        lead_id: start.lead_id,
        phone_number_id: start.phone_number_id,
        notes: start.notes.clone(),
        ..Call::started(
            workspace,
            report.source.clone(),
            report.direction.unwrap_or(Direction::Inbound),
            status,
            report.at,
        )
    }
}

/// The call a report applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportedCall {
    /// The call earlier reports made.
    Stored(Call),
    /// The call this report starts ([`started_by`]), as the store will create it.
    Started(Call),
}

/// Applies a provider's report to the call it is about and answers the call and its new
/// timeline entries. What a stored call does not know yet is taken from the report and
/// `start` (numbers read only then: most reports are about a call that has them). Reports
/// may come late and out of order: a status the call is already past is kept in the
/// timeline (`applied: false`) without moving it, an earlier start moves the start back,
/// and the provider's talk time dates the answer of a call first heard of when it ended.
#[must_use]
pub fn apply_report(
    target: ReportedCall,
    start: &CallStart,
    report: &CallReport,
) -> (Call, Vec<CallEvent>) {
    let (mut call, is_new) = match target {
        ReportedCall::Stored(mut call) => {
            fill_missing(&mut call, start, report);
            (call, false)
        }
        ReportedCall::Started(call) => (call, true),
    };
    let at = report.at;
    let actor = Some(format!("provider:{}", report.source));
    let mut events = Vec::new();
    if at < call.started_at && call.answered_at.is_none_or(|answered| at <= answered) {
        call.started_at = at;
    }
    if let Some(status) = report.status {
        // The first report sets the status it brings, which may be the one the call began in.
        let applied = (is_new && call.status == status)
            || move_to(&mut call, status, at, report.talk_seconds);
        if applied && status.is_final() {
            call.end_reason = report.end_reason.clone().or_else(|| call.end_reason.take());
        }
        let change = StatusChange {
            status,
            applied,
            current: call.status,
            end_reason: report.end_reason.clone(),
            sip_code: sip_code(report.end_reason.as_deref()),
        };
        events.push(CallEvent::new(call.id, at, actor, &TimelineEntry::StatusChanged(change)));
    }
    if report.raw.as_object().is_some_and(|raw| !raw.is_empty())
        && call.raw.len() < MAX_RAW_PAYLOADS
    {
        call.raw.push(report.raw.clone());
    }
    (call, events)
}

/// Takes what the stored call lacks from the report and the call's start.
fn fill_missing(call: &mut Call, start: &CallStart, report: &CallReport) {
    fn take<T: Clone>(slot: &mut Option<T>, from: &Option<T>) {
        if slot.is_none() {
            slot.clone_from(from);
        }
    }
    let region = start.region.as_ref();
    for (slot, raw) in
        [(&mut call.from_number, &report.from_number), (&mut call.to_number, &report.to_number)]
    {
        if slot.is_none() {
            *slot = raw.as_deref().map(|raw| stored_number(raw, region));
        }
    }
    take(&mut call.from_name, &report.from_name);
    take(&mut call.to_name, &report.to_name);
    take(&mut call.sip_call_id, &report.sip_call_id);
    take(&mut call.parent_call_id, &start.parent_call_id);
    take(&mut call.user_id, &start.user_id);
    take(&mut call.agent_id, &start.agent_id);
    take(&mut call.lead_id, &start.lead_id);
    take(&mut call.phone_number_id, &start.phone_number_id);
    take(&mut call.notes, &start.notes);
}

/// Moves the call to a reported status when its lifecycle allows; false when the report is
/// late, repeated or impossible (a provider's word is kept, never refused).
fn move_to(call: &mut Call, to: CallStatus, at: Timestamp, talk: Option<i64>) -> bool {
    if call.status.transition(to) != Transition::Apply {
        // A late answer dates the answer better than an end without a talk time did.
        if to.is_connected()
            && call.status.is_final()
            && call.answered_at.is_some_and(|answered| at < answered)
            && at >= call.started_at
        {
            call.answered_at = Some(at);
        }
        return false;
    }
    let answered = to.is_connected() || to == CallStatus::Completed;
    // The provider's count of talk time is the authority on it: the answer is dated back
    // from the end by it (which also covers events timed by their arrival, as Placetel's).
    let counted = (to == CallStatus::Completed).then_some(talk).flatten();
    if let Some(talk) = counted {
        let dated = at.checked_sub(SignedDuration::from_secs(talk.max(0))).unwrap_or(at);
        // Without an earlier report, the call began no later than it was answered.
        call.started_at = call.started_at.min(dated);
        call.answered_at = Some(dated);
    } else if answered && call.answered_at.is_none() {
        call.answered_at = Some(at.max(call.started_at));
    }
    if to.is_final() && call.ended_at.is_none() {
        call.ended_at = Some(at.max(call.answered_at.unwrap_or(call.started_at)));
    }
    call.status = to;
    true
}

/// A SIP response code, when the hang-up cause is one.
fn sip_code(reason: Option<&str>) -> Option<u16> {
    reason.and_then(|reason| reason.parse::<u16>().ok()).filter(|code| (100..700).contains(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{EventType, Source};
    use serde_json::json;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn report(status: CallStatus, second: i64) -> CallReport {
        CallReport {
            source: Source::parse("twilio").unwrap_or_else(|_| Source::api()),
            external_id: "CA1".into(),
            receipt: format!("CA1:{status}"),
            direction: Some(Direction::Outbound),
            status: Some(status),
            at: at(second),
            from_number: Some("+4930111".into()),
            from_name: None,
            to_number: Some("+4930222".into()),
            to_name: None,
            talk_seconds: None,
            end_reason: None,
            sip_call_id: None,
            parent_external_id: None,
            raw: json!({ "CallStatus": status.as_str() }),
        }
    }

    /// Feeds the reports in the order given, as the intake does.
    fn feed(reports: &[CallReport]) -> (Call, Vec<CallEvent>) {
        let workspace = WorkspaceId::new();
        let start = CallStart::default();
        let mut stored: Option<Call> = None;
        let mut events = Vec::new();
        for report in reports {
            let target = match stored.take() {
                Some(call) => ReportedCall::Stored(call),
                None => ReportedCall::Started(started_by(workspace, report, &start)),
            };
            let (call, new) = apply_report(target, &start, report);
            events.extend(new);
            stored = Some(call);
        }
        (stored.unwrap_or_else(|| started_by(workspace, &reports[0], &start)), events)
    }

    #[test]
    fn in_order_and_shuffled_reports_end_in_the_same_call() {
        let mut completed = report(CallStatus::Completed, 40);
        completed.talk_seconds = Some(30);
        let ordered = [
            report(CallStatus::Initiated, 0),
            report(CallStatus::Ringing, 2),
            report(CallStatus::InProgress, 10),
            completed,
        ];
        let (expected, _) = feed(&ordered);
        assert_eq!(expected.status, CallStatus::Completed);
        assert_eq!((expected.started_at, expected.answered_at), (at(0), Some(at(10))));
        assert_eq!(expected.ended_at, Some(at(40)));
        for order in [[3, 2, 1, 0], [3, 0, 1, 2], [1, 3, 0, 2], [2, 1, 3, 0]] {
            let shuffled: Vec<_> = order.iter().map(|i| ordered[*i].clone()).collect();
            let (call, events) = feed(&shuffled);
            assert_eq!(call.status, expected.status, "{order:?}");
            assert_eq!(call.started_at, expected.started_at, "{order:?}");
            assert_eq!(call.answered_at, expected.answered_at, "{order:?}");
            assert_eq!(call.ended_at, expected.ended_at, "{order:?}");
            assert_eq!(events.len(), 4, "one entry per report");
        }
    }

    #[test]
    fn a_call_first_heard_of_when_it_ended_dates_its_answer_from_the_talk_time() {
        let mut completed = report(CallStatus::Completed, 100);
        completed.talk_seconds = Some(60);
        let (call, events) = feed(&[completed]);
        assert_eq!(call.answered_at, Some(at(40)));
        assert!(
            check_consistency(call.status, call.started_at, call.answered_at, call.ended_at)
                .is_ok()
        );
        assert_eq!(events[0].kind, EventType::StatusChanged);
    }

    #[test]
    fn a_busy_report_keeps_its_sip_code_and_the_payloads_are_bounded() {
        let mut busy = report(CallStatus::Busy, 5);
        busy.end_reason = Some("486".into());
        let (call, events) = feed(&[report(CallStatus::Ringing, 1), busy]);
        assert_eq!(call.status, CallStatus::Busy);
        assert_eq!(call.end_reason.as_deref(), Some("486"));
        assert_eq!(events[1].data["sip_code"], json!(486));
        let many: Vec<_> = (0..100).map(|i| report(CallStatus::Ringing, i)).collect();
        assert_eq!(feed(&many).0.raw.len(), MAX_RAW_PAYLOADS);
    }

    #[test]
    fn statuses_follow_the_timestamps() {
        assert_eq!(implied_status(Direction::Inbound, false, true), CallStatus::Missed);
        assert_eq!(implied_status(Direction::Outbound, false, true), CallStatus::NoAnswer);
        assert_eq!(implied_status(Direction::Outbound, true, true), CallStatus::Completed);
        assert!(check_consistency(CallStatus::Completed, at(0), Some(at(5)), Some(at(9))).is_ok());
        assert!(check_consistency(CallStatus::Completed, at(0), None, Some(at(9))).is_err());
        assert!(check_consistency(CallStatus::Busy, at(0), Some(at(1)), Some(at(9))).is_err());
        assert!(check_consistency(CallStatus::Ringing, at(0), None, Some(at(9))).is_err());
        assert!(
            check_consistency(CallStatus::Completed, at(10), Some(at(5)), Some(at(20))).is_err()
        );
    }
}
