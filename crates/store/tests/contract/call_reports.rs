//! Contract cases for provider reports (`report_call`): created once, moved by later reports
//! in any order, unchanged by a repeated delivery, with the rollups kept current.

use callbase_domain::call::{
    Call, CallReport, CallStart, CallStatus, Direction, EventType, Source,
};
use callbase_domain::{BlockId, BlockPattern, WorkspaceId, now};
use callbase_store::{BlockEntry, Reported, Store};
use serde_json::json;

use super::call_rollups::{recomputed, rollups};
use super::calls::at_second;
use super::{audit, new_workspace};

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

async fn send(store: &dyn Store, workspace: WorkspaceId, report: &CallReport) -> Reported {
    store.report_call(workspace, report, &CallStart::default()).await.expect("report")
}

/// The workspace's Twilio call with this call SID.
async fn twilio_call(store: &dyn Store, workspace: WorkspaceId, sid: &str) -> Call {
    let source = Source::parse("twilio").expect("source");
    store.call_by_external_id(workspace, &source, sid).await.expect("read").expect("the call")
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
        let call = twilio_call(store, workspace, &sid).await;
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

/// Many reports at once (the SQLite committer batches them): the same calls, timelines and
/// rollups as one by one, each redelivery a duplicate, whatever the batches held.
pub(crate) async fn concurrent_reports_end_like_sequential_ones(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let statuses = [
        (CallStatus::Completed, 1_750_000_040),
        (CallStatus::Initiated, 1_750_000_000),
        (CallStatus::InProgress, 1_750_000_010),
        (CallStatus::Ringing, 1_750_000_002),
    ];
    let calls = 40;
    // Each call's reports twice, calls interleaved: batches hold several reports of a call,
    // a report and its redelivery, and reports of calls created in the same batch.
    let mut reports = Vec::new();
    for _delivery in 0..2 {
        for (status, second) in statuses {
            for n in 0..calls {
                reports.push(report(&format!("CAbatch{n}"), status, second));
            }
        }
    }
    let outcomes =
        futures_util::future::join_all(reports.iter().map(|r| send(store, workspace, r))).await;
    let created = outcomes.iter().filter(|o| matches!(o, Reported::Created { .. })).count();
    assert_eq!(created, calls, "one call created per external id");
    let duplicates = outcomes.iter().filter(|o| matches!(o, Reported::Duplicate(_))).count();
    assert_eq!(duplicates, calls * statuses.len(), "each redelivery changes nothing");
    for n in 0..calls {
        let sid = format!("CAbatch{n}");
        let call = twilio_call(store, workspace, &sid).await;
        assert_eq!(call.status, CallStatus::Completed, "{sid}");
        assert_eq!(call.started_at, at_second(1_750_000_000), "{sid}");
        assert_eq!(call.answered_at, Some(at_second(1_750_000_010)), "{sid}");
        assert_eq!(call.raw.len(), 4, "{sid}: one payload per report");
        let timeline = store.call_events(workspace, call.id).await.expect("timeline");
        assert_eq!(timeline.len(), 4, "{sid}: one entry per report");
    }
    assert_eq!(
        rollups(store, workspace).await,
        recomputed(store, workspace, "Europe/Berlin").await
    );
}

/// A call a report creates is flagged when its remote number is on the do-not-call list
/// then, whether the report comes alone or with others; a number elsewhere is not.
pub(crate) async fn reports_flag_calls_to_numbers_on_the_do_not_call_list(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let entry = BlockEntry {
        id: BlockId::new(),
        workspace_id: workspace,
        pattern: BlockPattern::prefix("+49 40").expect("prefix"),
        reason: None,
        expires_at: None,
        created_by: None,
        created_at: now(),
    };
    store
        .create_block(&entry, &audit(Some(workspace), "blocklist.create", entry.id))
        .await
        .expect("block");
    // Outbound: the remote number is the one called.
    let mut listed = report("CAlisted", CallStatus::Initiated, 1);
    listed.to_number = Some("+4940555666".into());
    let mut other = report("CAother", CallStatus::Initiated, 1);
    other.to_number = Some("+4930555666".into());
    assert!(send(store, workspace, &listed).await.call().blocked);
    assert!(!send(store, workspace, &other).await.call().blocked);
    let together: Vec<CallReport> = (0..20)
        .map(|n| {
            let mut r = report(&format!("CAmany{n}"), CallStatus::Ringing, 2);
            r.to_number = Some(format!("+49{}0555{n:03}", if n % 2 == 0 { 40 } else { 30 }));
            r
        })
        .collect();
    let outcomes =
        futures_util::future::join_all(together.iter().map(|r| send(store, workspace, r))).await;
    for (n, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.call().blocked, n % 2 == 0, "CAmany{n}");
    }
    let elsewhere = new_workspace(store, None).await.id;
    assert!(!send(store, elsewhere, &listed).await.call().blocked);
}

/// Receipts received before the cut are forgotten, later ones kept: a redelivery of a
/// forgotten event is taken as new, of a kept one still changes nothing.
pub(crate) async fn old_receipts_are_forgotten(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let ringing = report("CAforget", CallStatus::Ringing, 2);
    send(store, workspace, &ringing).await;
    assert_eq!(store.forget_receipts(at_second(1)).await.expect("forget"), 0, "none that old");
    assert!(matches!(send(store, workspace, &ringing).await, Reported::Duplicate(_)));
    let cut = now() + jiff::SignedDuration::from_secs(1);
    assert!(store.forget_receipts(cut).await.expect("forget") >= 1);
    assert!(matches!(send(store, workspace, &ringing).await, Reported::Updated { .. }));
}

pub(crate) async fn child_legs_are_listed_with_their_parent(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let parent = send(store, workspace, &report("CAparent", CallStatus::InProgress, 100)).await;
    let mut child = report("CAchild", CallStatus::Ringing, 101);
    child.parent_external_id = Some("CAparent".into());
    let start = CallStart { parent_call_id: Some(parent.call().id), ..CallStart::default() };
    let child = store.report_call(workspace, &child, &start).await.expect("child");
    let legs = store.call_legs(workspace, parent.call().id).await.expect("legs");
    assert_eq!(legs.iter().map(|c| c.id).collect::<Vec<_>>(), vec![child.call().id]);
    let other = new_workspace(store, None).await.id;
    assert!(store.call_legs(other, parent.call().id).await.expect("legs").is_empty());
}
