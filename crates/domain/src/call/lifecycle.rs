//! What the call actions (CALL-2, CALL-3) do to a call: the new state, the timeline entries
//! they leave, and the transferred leg they create. Pure; the store runs it in a transaction.

use super::{
    Call, CallEvent, CallStatus, Direction, HoldChange, StatusChange, TimelineEntry, TransferEntry,
    Transition,
};
use crate::{CallId, E164, UserId};
use jiff::Timestamp;

/// Where a transfer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    Number(E164),
    User(UserId),
}

#[derive(Debug, Clone, PartialEq)]
pub enum CallCommand {
    Status {
        status: CallStatus,
        at: Timestamp,
    },
    End {
        at: Timestamp,
        reason: Option<String>,
    },
    /// Toggles hold on a connected call.
    Hold {
        at: Timestamp,
    },
    /// `leg` is the id the new call leg gets.
    Transfer {
        at: Timestamp,
        target: TransferTarget,
        leg: CallId,
    },
    Event {
        at: Timestamp,
        entry: TimelineEntry,
    },
}

/// Why a command cannot apply; answered 409.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallRejection {
    #[error("a call cannot go from {from} to {to}")]
    IllegalTransition { from: CallStatus, to: CallStatus },
    #[error("only a connected call can be transferred; this one is {status}")]
    NotConnected { status: CallStatus },
}

/// What a command changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub events: Vec<CallEvent>,
    /// The new leg a transfer created.
    pub leg: Option<Call>,
}

/// Applies `command` to `call` in place. `actor` is written on every timeline entry.
pub fn apply(
    call: &mut Call,
    command: CallCommand,
    actor: Option<&str>,
) -> Result<Applied, CallRejection> {
    let call_id = call.id;
    let event = |at: Timestamp, entry: TimelineEntry| {
        CallEvent::new(call_id, at, actor.map(str::to_owned), &entry)
    };
    let mut leg = None;
    let entry = match command {
        CallCommand::Status { status, at } => {
            let applied = move_status(call, status, at)?;
            event(at, status_entry(call, status, applied, None))
        }
        CallCommand::End { at, reason } => {
            let outcome = end_status(call);
            let applied = move_status(call, outcome, at)?;
            if applied && reason.is_some() {
                call.end_reason = reason.clone();
            }
            event(at, status_entry(call, outcome, applied, reason))
        }
        CallCommand::Hold { at } => {
            let resume = call.status == CallStatus::OnHold;
            let to = if resume { CallStatus::InProgress } else { CallStatus::OnHold };
            // After the end, a late hold is kept in the timeline, marked as not applied.
            let change = HoldChange { applied: move_status(call, to, at)?, current: call.status };
            event(
                at,
                if resume { TimelineEntry::Unhold(change) } else { TimelineEntry::Hold(change) },
            )
        }
        CallCommand::Transfer { at, target, leg: leg_id } => {
            if !call.status.is_connected() {
                return Err(CallRejection::NotConnected { status: call.status });
            }
            let (to_number, to_user_id) = match &target {
                TransferTarget::Number(number) => (Some(number.as_str().to_owned()), None),
                TransferTarget::User(user) => (None, Some(*user)),
            };
            leg = Some(transferred_leg(call, &target, leg_id, at));
            event(
                at,
                TimelineEntry::Transfer(TransferEntry {
                    to_number,
                    to_user_id,
                    leg_call_id: leg_id,
                }),
            )
        }
        CallCommand::Event { at, entry } => event(at, entry),
    };
    Ok(Applied { events: vec![entry], leg })
}

fn status_entry(
    call: &Call,
    requested: CallStatus,
    applied: bool,
    end_reason: Option<String>,
) -> TimelineEntry {
    TimelineEntry::StatusChanged(StatusChange {
        status: requested,
        applied,
        current: call.status,
        end_reason,
        sip_code: None,
    })
}

/// Moves the status when the lifecycle allows; `Ok(false)` for a late or repeated event.
fn move_status(call: &mut Call, to: CallStatus, at: Timestamp) -> Result<bool, CallRejection> {
    match call.status.transition(to) {
        Transition::Illegal => Err(CallRejection::IllegalTransition { from: call.status, to }),
        Transition::Ignore => Ok(false),
        Transition::Apply => {
            if to.is_connected() && call.answered_at.is_none() {
                call.answered_at = Some(at.max(call.started_at));
            }
            if to.is_final() && call.ended_at.is_none() {
                call.ended_at = Some(at.max(call.answered_at.unwrap_or(call.started_at)));
            }
            call.status = to;
            Ok(true)
        }
    }
}

/// How a call that is hung up now ends, given how far it got.
fn end_status(call: &Call) -> CallStatus {
    match (call.status, call.direction) {
        (status, _) if status.is_final() => status,
        (status, _) if status.is_connected() => CallStatus::Completed,
        (CallStatus::Initiated, _) => CallStatus::Canceled,
        (_, Direction::Inbound) => CallStatus::Missed,
        (_, Direction::Outbound | Direction::Internal) => CallStatus::NoAnswer,
    }
}

/// The call leg a transfer starts: from the workspace's side of `call` to the target.
fn transferred_leg(call: &Call, target: &TransferTarget, id: CallId, at: Timestamp) -> Call {
    let (direction, to_number, user_id) = match target {
        TransferTarget::Number(number) => {
            (Direction::Outbound, Some(number.as_str().to_owned()), call.user_id)
        }
        TransferTarget::User(user) => (Direction::Internal, None, Some(*user)),
    };
    Call {
        id,
        from_number: call.local_number().map(str::to_owned),
        to_number,
        user_id,
        lead_id: call.lead_id,
        phone_number_id: call.phone_number_id,
        parent_call_id: Some(call.id),
        ..Call::started(
            call.workspace_id,
            call.source.clone(),
            direction,
            CallStatus::Initiated,
            at,
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::call::EventType;
    use crate::{Source, WorkspaceId};
    use serde_json::json;

    pub(crate) fn call(direction: Direction, started: i64) -> Call {
        let at = Timestamp::from_second(started).unwrap_or(Timestamp::UNIX_EPOCH);
        Call {
            from_number: Some("+49301234567".into()),
            to_number: Some("+4940555000".into()),
            ..Call::started(WorkspaceId::new(), Source::api(), direction, CallStatus::Initiated, at)
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn status(call: &mut Call, to: CallStatus, second: i64) -> Result<Applied, CallRejection> {
        apply(call, CallCommand::Status { status: to, at: at(second) }, None)
    }

    #[test]
    fn a_call_rings_connects_and_ends_with_derived_durations() {
        let mut c = call(Direction::Inbound, 1000);
        status(&mut c, CallStatus::Ringing, 1001).ok();
        status(&mut c, CallStatus::InProgress, 1012).ok();
        apply(&mut c, CallCommand::End { at: at(1100), reason: Some("16".into()) }, None).ok();
        assert_eq!(c.status, CallStatus::Completed);
        assert_eq!((c.ring_seconds(), c.talk_seconds()), (Some(12), Some(88)));
        assert_eq!(c.end_reason.as_deref(), Some("16"));
    }

    #[test]
    fn late_and_repeated_events_are_kept_but_do_not_move_the_status() {
        let mut c = call(Direction::Outbound, 0);
        status(&mut c, CallStatus::Completed, 30).ok();
        let late = status(&mut c, CallStatus::Ringing, 5).ok();
        assert_eq!(c.status, CallStatus::Completed);
        let entry = late.map(|a| a.events[0].data.clone()).unwrap_or_default();
        assert_eq!(entry["applied"], json!(false));
        assert_eq!(c.ended_at, Some(at(30)), "a replay changes nothing");
        status(&mut c, CallStatus::Completed, 40).ok();
        assert_eq!(c.ended_at, Some(at(30)));
    }

    #[test]
    fn illegal_moves_name_both_states() {
        let mut c = call(Direction::Inbound, 0);
        status(&mut c, CallStatus::InProgress, 1).ok();
        assert_eq!(
            status(&mut c, CallStatus::Busy, 2),
            Err(CallRejection::IllegalTransition {
                from: CallStatus::InProgress,
                to: CallStatus::Busy
            })
        );
    }

    #[test]
    fn hold_toggles_only_on_a_connected_call() {
        let mut c = call(Direction::Inbound, 0);
        assert!(apply(&mut c, CallCommand::Hold { at: at(1) }, None).is_err());
        status(&mut c, CallStatus::InProgress, 1).ok();
        let hold = apply(&mut c, CallCommand::Hold { at: at(2) }, None).ok();
        assert_eq!(hold.map(|a| a.events[0].kind), Some(EventType::Hold));
        assert_eq!(c.status, CallStatus::OnHold);
        let unhold = apply(&mut c, CallCommand::Hold { at: at(3) }, None).ok();
        assert_eq!(unhold.map(|a| a.events[0].kind), Some(EventType::Unhold));
        assert_eq!(c.status, CallStatus::InProgress);
    }

    #[test]
    fn a_hold_after_the_end_is_kept_but_marked_not_applied() {
        let mut c = call(Direction::Inbound, 0);
        status(&mut c, CallStatus::InProgress, 1).ok();
        status(&mut c, CallStatus::Completed, 2).ok();
        let late = apply(&mut c, CallCommand::Hold { at: at(3) }, None).expect("kept");
        assert_eq!(late.events[0].kind, EventType::Hold);
        assert_eq!(late.events[0].data, json!({ "applied": false, "current": "completed" }));
        assert_eq!(c.status, CallStatus::Completed);
    }

    #[test]
    fn ending_picks_the_outcome_from_how_far_the_call_got() {
        for (direction, steps, expected) in [
            (Direction::Inbound, &[CallStatus::Ringing][..], CallStatus::Missed),
            (Direction::Outbound, &[CallStatus::Ringing][..], CallStatus::NoAnswer),
            (Direction::Outbound, &[][..], CallStatus::Canceled),
            (
                Direction::Inbound,
                &[CallStatus::InProgress, CallStatus::OnHold][..],
                CallStatus::Completed,
            ),
        ] {
            let mut c = call(direction, 0);
            for step in steps {
                status(&mut c, *step, 1).ok();
            }
            apply(&mut c, CallCommand::End { at: at(9), reason: None }, None).ok();
            assert_eq!(c.status, expected, "{direction} after {steps:?}");
        }
    }

    #[test]
    fn transfer_links_a_new_leg() {
        let mut c = call(Direction::Inbound, 0);
        let leg_id = CallId::new();
        let target = TransferTarget::Number(E164::parse("+4989123456", None).expect("number"));
        let command = CallCommand::Transfer { at: at(5), target, leg: leg_id };
        assert!(apply(&mut c, command.clone(), None).is_err(), "not connected yet");
        status(&mut c, CallStatus::InProgress, 1).ok();
        let applied = apply(&mut c, command, Some("user:x")).ok();
        let leg = applied.as_ref().and_then(|a| a.leg.clone());
        assert_eq!(leg.as_ref().map(|l| l.parent_call_id), Some(Some(c.id)));
        assert_eq!(leg.as_ref().and_then(|l| l.from_number.clone()), c.to_number);
        assert_eq!(leg.map(|l| l.to_number), Some(Some("+4989123456".to_owned())));
        let data = applied.map(|a| a.events[0].data.clone()).unwrap_or_default();
        assert_eq!(data["leg_call_id"], json!(leg_id));
    }
}
