//! Contract cases for provider reports (`report_call`): created once, moved by later reports
//! in any order, unchanged by a repeated delivery, with the rollups kept current.

use callbase_domain::WorkspaceId;
use callbase_domain::call::{Call, CallReport, CallStatus, Direction, EventType, Source};
use callbase_store::{Reported, Store};
use serde_json::json;

use super::call_rollups::{recomputed, rollups};
use super::calls::at_second;
use super::new_workspace;

fn report(external_id: &str, status: CallStatus, second: i64) -> CallReport {
    CallReport {
        source: Source::parse("twilio").expect("source"),
        external_id: external_id.to_owned(),
        receipt: format!("{external_id}:{status}"),
        direction: Some(Direction::Outbound),
        status: Some(status),
        at: at_second(second),
        from_number: Some("+4930111222".into()),
        from_name: None,
        to_number: Some("+4940333444".into()),
        to_name: None,
        talk_seconds: (status == CallStatus::Completed).then_some(30),
        end_reason: None,
        sip_call_id: None,
        parent_external_id: None,
        raw: json!({ "CallSid": external_id, "CallStatus": status.as_str() }),
    }
}

/// The call the intake would start for `report`.
fn fresh(workspace: WorkspaceId, report: &CallReport) -> Call {
    Call {
        external_id: Some(report.external_id.clone()),
        from_number: report.from_number.clone(),
        to_number: report.to_number.clone(),
        ..Call::started(
            workspace,
            report.source.clone(),
            Direction::Outbound,
            CallStatus::Initiated,
            report.at,
        )
    }
}

async fn send(store: &dyn Store, workspace: WorkspaceId, report: &CallReport) -> Reported {
    store.report_call(workspace, report, &fresh(workspace, report)).await.expect("report")
}

pub(crate) async fn reports_make_one_call_whatever_their_order(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let statuses = [
        (CallStatus::Initiated, 1_750_000_000),
        (CallStatus::Ringing, 1_750_000_002),
        (CallStatus::InProgress, 1_750_000_010),
        (CallStatus::Completed, 1_750_000_040),
    ];
    for (n, order) in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 3, 0, 1]].iter().enumerate() {
        let sid = format!("CA{n}");
        for (i, index) in order.iter().enumerate() {
            let (status, second) = statuses[*index];
            let outcome = send(store, workspace, &report(&sid, status, second)).await;
            assert_eq!(matches!(outcome, Reported::Created { .. }), i == 0, "{sid} {status}");
        }
        // Every report delivered again: nothing changes.
        for (status, second) in statuses {
            let again = send(store, workspace, &report(&sid, status, second)).await;
            assert!(matches!(again, Reported::Duplicate(_)), "{sid} {status}");
        }
        let source = Source::parse("twilio").expect("source");
        let call = store
            .call_by_external_id(workspace, &source, &sid)
            .await
            .expect("read")
            .expect("the call");
        assert_eq!(call.status, CallStatus::Completed, "{sid}");
        assert_eq!(call.started_at, at_second(1_750_000_000), "{sid}");
        assert_eq!(call.answered_at, Some(at_second(1_750_000_010)), "{sid}");
        assert_eq!(call.ended_at, Some(at_second(1_750_000_040)), "{sid}");
        assert_eq!(call.raw.len(), 4, "one payload per report, none twice");
        let timeline = store.call_events(workspace, call.id).await.expect("timeline");
        assert_eq!(timeline.len(), 4, "{sid}: one entry per report");
        assert!(timeline.iter().all(|e| e.kind == EventType::StatusChanged));
        assert_eq!(timeline.last().map(|e| e.data["current"].clone()), Some(json!("completed")));
    }
    assert_eq!(
        rollups(store, workspace).await,
        recomputed(store, workspace, "Europe/Berlin").await
    );
}

pub(crate) async fn child_legs_are_listed_with_their_parent(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let parent = send(store, workspace, &report("CAparent", CallStatus::InProgress, 100)).await;
    let mut child = report("CAchild", CallStatus::Ringing, 101);
    child.parent_external_id = Some("CAparent".into());
    let mut fresh_child = fresh(workspace, &child);
    fresh_child.parent_call_id = Some(parent.call().id);
    let child = store.report_call(workspace, &child, &fresh_child).await.expect("child");
    let legs = store.call_legs(workspace, parent.call().id).await.expect("legs");
    assert_eq!(legs.iter().map(|c| c.id).collect::<Vec<_>>(), vec![child.call().id]);
    let other = new_workspace(store, None).await.id;
    assert!(store.call_legs(other, parent.call().id).await.expect("legs").is_empty());
}
