//! Contract cases for calls: logging, the lifecycle, deletes, bulk imports; helpers the
//! other call cases share.

use callbase_domain::call::{
    Call, CallCommand, CallEvent, CallRejection, CallStatus, Cost, Direction, EventType, Source,
    TransferTarget,
};
use callbase_domain::{CallEventId, CallId, E164, Timestamp, WorkspaceId, from_micros, now};
use callbase_store::{
    CallFilter, CallPageRequest, CallPatch, CallSort, CallStore, Logged, SortOrder, Store,
    StoreError,
};
use serde_json::json;

use super::call_rollups::{recomputed, rollups};
use super::{audit, new_workspace};
pub(crate) fn at_second(second: i64) -> Timestamp {
    from_micros(second * 1_000_000)
}

/// A plain inbound call of `workspace` started at `second` (Unix seconds).
pub(crate) fn sample_call(workspace: WorkspaceId, second: i64) -> Call {
    Call {
        from_number: Some("+49301234567".to_owned()),
        from_name: Some("Anna Schmidt".to_owned()),
        to_number: Some("+4940555000".to_owned()),
        ..Call::started(
            workspace,
            Source::api(),
            Direction::Inbound,
            CallStatus::Ringing,
            at_second(second),
        )
    }
}

pub(crate) async fn logged(store: &dyn Store, call: &Call) -> Call {
    match store.create_call(call, None, &[]).await.expect("create call") {
        Logged::Created(call) | Logged::Existing { call, .. } => call,
    }
}

pub(crate) fn first_page(limit: u32) -> CallPageRequest {
    CallPageRequest { sort: CallSort::StartedAt, order: SortOrder::Descending, after: None, limit }
}

pub(crate) async fn ids(
    store: &dyn Store,
    workspace: WorkspaceId,
    filter: &CallFilter,
) -> Vec<CallId> {
    let page = store.list_calls(workspace, filter, &first_page(1000)).await.expect("list");
    page.items.into_iter().map(|call| call.id).collect()
}

pub(crate) async fn calls_round_trip_and_log_once(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let mut call = sample_call(workspace, 1_750_000_000);
    call.external_id = Some("CA123".to_owned());
    call.source = Source::parse("twilio").expect("source");
    call.tags = vec!["vip".to_owned(), "de".to_owned()];
    call.cost = Some(Cost { amount: "0.0130".to_owned(), currency: "EUR".to_owned() });
    call.quality = Some(json!({ "mos": 4.2 }));
    call.raw = vec![json!({ "CallSid": "CA123" })];
    call.agent_id = Some(uuid::Uuid::now_v7());
    let event = CallEvent {
        id: CallEventId::new(),
        call_id: call.id,
        kind: EventType::Note,
        at: call.started_at,
        actor: Some("system".to_owned()),
        data: json!({ "text": "hello" }),
    };
    assert_eq!(
        store.create_call(&call, Some("f1"), std::slice::from_ref(&event)).await.expect("create"),
        Logged::Created(call.clone())
    );
    assert_eq!(store.call(workspace, call.id).await.expect("read"), Some(call.clone()));
    assert_eq!(store.call_events(workspace, call.id).await.expect("events"), vec![event]);

    let again = Call { id: CallId::new(), notes: Some("different".to_owned()), ..call.clone() };
    assert_eq!(
        store.create_call(&again, Some("f2"), &[]).await.expect("again"),
        Logged::Existing { call: call.clone(), fingerprint: Some("f1".to_owned()) },
        "the same (source, external_id) is the same call"
    );
    let other_source = Call { id: CallId::new(), source: Source::api(), ..call.clone() };
    assert!(matches!(store.create_call(&other_source, None, &[]).await, Ok(Logged::Created(_))));

    let elsewhere = new_workspace(store, None).await.id;
    assert_eq!(store.call(elsewhere, call.id).await.expect("read"), None);
    assert!(store.call_events(elsewhere, call.id).await.expect("events").is_empty());
}

pub(crate) async fn commands_follow_the_lifecycle(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let call = logged(store, &sample_call(workspace, 1_750_000_000)).await;
    let run = |command| store.command_call(workspace, call.id, command, Some("user:test"));
    let answered =
        run(CallCommand::Status { status: CallStatus::InProgress, at: at_second(1_750_000_012) })
            .await
            .expect("answer")
            .expect("found");
    assert_eq!(answered.call.status, CallStatus::InProgress);
    assert_eq!(answered.call.ring_seconds(), Some(12));

    let illegal =
        run(CallCommand::Status { status: CallStatus::Busy, at: at_second(1_750_000_013) }).await;
    assert!(matches!(
        illegal,
        Err(StoreError::Rejected(CallRejection::IllegalTransition {
            from: CallStatus::InProgress,
            to: CallStatus::Busy
        }))
    ));

    run(CallCommand::Hold { at: at_second(1_750_000_020) }).await.expect("hold");
    run(CallCommand::Hold { at: at_second(1_750_000_030) }).await.expect("unhold");
    let leg = CallId::new();
    let target = TransferTarget::Number(E164::parse("+4989123456", None).expect("number"));
    let transferred = run(CallCommand::Transfer { at: at_second(1_750_000_040), target, leg })
        .await
        .expect("transfer")
        .expect("found");
    assert_eq!(transferred.leg.as_ref().map(|l| l.id), Some(leg));
    let stored_leg = store.call(workspace, leg).await.expect("read leg").expect("leg exists");
    assert_eq!(stored_leg.parent_call_id, Some(call.id));

    run(CallCommand::End { at: at_second(1_750_000_100), reason: Some("normal".to_owned()) })
        .await
        .expect("end");
    let late =
        run(CallCommand::Status { status: CallStatus::Ringing, at: at_second(1_750_000_005) })
            .await
            .expect("late ringing")
            .expect("found");
    assert_eq!(late.call.status, CallStatus::Completed, "a late event never moves it back");
    assert_eq!(late.call.talk_seconds(), Some(88));

    let timeline = store.call_events(workspace, call.id).await.expect("events");
    let kinds: Vec<EventType> = timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventType::StatusChanged, // the late ringing, at +5 s
            EventType::StatusChanged,
            EventType::Hold,
            EventType::Unhold,
            EventType::Transfer,
            EventType::StatusChanged,
        ],
        "in time order"
    );
    assert_eq!(timeline[0].data["applied"], json!(false));
    assert_eq!(timeline[0].actor.as_deref(), Some("user:test"));

    let missing =
        store.command_call(workspace, CallId::new(), CallCommand::Hold { at: now() }, None);
    assert!(missing.await.expect("runs").is_none());
}

pub(crate) async fn deleting_a_call_removes_its_timeline_and_counts(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let mut call = sample_call(workspace, 1_750_000_000);
    call.tags = vec!["x".to_owned()];
    let call = logged(store, &call).await;
    store
        .command_call(
            workspace,
            call.id,
            CallCommand::End { at: at_second(1_750_000_030), reason: None },
            None,
        )
        .await
        .expect("end");
    assert!(!store.rollup_rows(workspace).await.expect("rollups").is_empty());
    let elsewhere = new_workspace(store, None).await.id;
    let entry = audit(Some(elsewhere), "call.delete", call.id);
    assert!(
        !store.delete_call(elsewhere, call.id, &entry).await.expect("delete"),
        "other workspace"
    );
    let entry = audit(Some(workspace), "call.delete", call.id);
    assert!(store.delete_call(workspace, call.id, &entry).await.expect("delete"));
    assert_eq!(store.call(workspace, call.id).await.expect("read"), None);
    assert!(store.call_events(workspace, call.id).await.expect("events").is_empty());
    assert!(store.rollup_rows(workspace).await.expect("rollups").is_empty());
    let tagged = CallFilter { tag: Some("x".into()), ..Default::default() };
    assert!(ids(store, workspace, &tagged).await.is_empty());
}

pub(crate) async fn imported_calls_count_like_logged_ones(store: &callbase_store::SqlStore) {
    let workspace = new_workspace(store, None).await.id;
    let mut calls = Vec::new();
    let mut events = Vec::new();
    for i in 0..450 {
        let mut call = sample_call(workspace, 1_792_800_000 + i * 600);
        call.tags = if i % 7 == 0 { vec!["vip".to_owned()] } else { Vec::new() };
        if i % 3 != 0 {
            call.status = CallStatus::Completed;
            call.answered_at = Some(at_second(1_792_800_000 + i * 600 + 9));
            call.ended_at = Some(at_second(1_792_800_000 + i * 600 + 9 + i));
        }
        events.push(CallEvent {
            id: CallEventId::new(),
            call_id: call.id,
            kind: EventType::StatusChanged,
            at: call.started_at,
            actor: None,
            data: json!({ "status": "ringing" }),
        });
        calls.push(call);
    }
    store.import_calls(workspace, &calls, &events).await.expect("import");
    assert_eq!(
        rollups(store, workspace).await,
        recomputed(store, workspace, "Europe/Berlin").await
    );
    assert_eq!(
        ids(store, workspace, &CallFilter { tag: Some("vip".into()), ..Default::default() })
            .await
            .len(),
        65
    );
    let first = calls[0].id;
    assert_eq!(store.call_events(workspace, first).await.expect("events").len(), 1);
    assert!(
        store.import_calls(workspace, &calls[..1], &[]).await.is_err(),
        "duplicates are refused"
    );
    let elsewhere = new_workspace(store, None).await.id;
    assert!(
        store.import_calls(elsewhere, &calls[..1], &[]).await.is_err(),
        "another workspace's call"
    );
}

pub(crate) async fn appended_events_touch_nothing_else(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let call = logged(store, &sample_call(workspace, 1_750_000_000)).await;
    let before = store.call(workspace, call.id).await.expect("read").expect("call");
    let entry = |call_id: CallId, digits: &str| CallEvent {
        id: CallEventId::new(),
        call_id,
        kind: EventType::Dtmf,
        at: at_second(1_750_000_010),
        actor: Some("user:test".into()),
        data: json!({ "digits": digits }),
    };
    let entries: Vec<CallEvent> = (0..20).map(|i| entry(call.id, &i.to_string())).collect();
    let appends = entries.iter().map(|event| store.append_event(workspace, event));
    for status in futures_util::future::join_all(appends).await {
        assert_eq!(status.expect("append"), Some(CallStatus::Ringing));
    }
    let timeline = store.call_events(workspace, call.id).await.expect("timeline");
    let mut appended: Vec<CallEvent> =
        timeline.iter().filter(|e| e.kind == EventType::Dtmf).cloned().collect();
    appended.sort_by_key(|e| e.id);
    let mut expected = entries.clone();
    expected.sort_by_key(|e| e.id);
    assert_eq!(appended, expected, "every entry reads back as it was appended");
    let after = store.call(workspace, call.id).await.expect("read").expect("call");
    assert_eq!(after, before, "the call itself is unchanged");

    let elsewhere = new_workspace(store, None).await.id;
    assert_eq!(store.append_event(elsewhere, &entry(call.id, "9")).await.expect("append"), None);
    assert_eq!(
        store.append_event(workspace, &entry(CallId::new(), "9")).await.expect("append"),
        None
    );
    let dtmf = store.call_events(workspace, call.id).await.expect("timeline");
    assert_eq!(
        dtmf.iter().filter(|e| e.kind == EventType::Dtmf).count(),
        20,
        "nothing from refused appends"
    );
}

/// Appends share the database with every other writer: edits (a read, then a write, in one
/// transaction) running among many appends all succeed, and every entry is kept. On SQLite
/// two overlapping writers would fail such an edit with `SQLITE_BUSY_SNAPSHOT`.
pub(crate) async fn appends_and_edits_interleave(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let call = logged(store, &sample_call(workspace, 1_750_000_000)).await;
    let entry = |i: i64| CallEvent {
        id: CallEventId::new(),
        call_id: call.id,
        kind: EventType::Dtmf,
        at: at_second(1_750_000_001 + i),
        actor: None,
        data: json!({ "digits": (i % 10).to_string() }),
    };
    // Waves of appends (one batch each) while edits run one after another.
    let appending = async {
        for wave in 0..30 {
            let events: Vec<CallEvent> = (0..10).map(|i| entry(wave * 10 + i)).collect();
            let appends = events.iter().map(|event| store.append_event(workspace, event));
            for outcome in futures_util::future::join_all(appends).await {
                outcome.expect("every append succeeds");
            }
        }
    };
    let editing = async {
        for i in 0..30 {
            let patch = CallPatch { notes: Some(Some(format!("edit {i}"))), ..Default::default() };
            let entry = audit(Some(workspace), "call.update", call.id);
            store
                .update_call(workspace, call.id, &patch, &entry)
                .await
                .expect("every edit succeeds");
        }
    };
    futures_util::future::join(appending, editing).await;
    let timeline = store.call_events(workspace, call.id).await.expect("timeline");
    assert_eq!(timeline.iter().filter(|e| e.kind == EventType::Dtmf).count(), 300);
}

/// SQLite parks appended entries in an inbox and folds them into the timeline later; a
/// timeline reads the same before and after the fold, in time order with the entries
/// that commands wrote, and a deleted call's parked entries go with it.
pub(crate) async fn appended_events_read_the_same_before_and_after_the_fold(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let kept = logged(store, &sample_call(workspace, 1_750_000_000)).await;
    let dropped = logged(store, &sample_call(workspace, 1_750_000_100)).await;
    let entry = |call_id: CallId, second: i64| CallEvent {
        id: CallEventId::new(),
        call_id,
        kind: EventType::Dtmf,
        at: at_second(second),
        actor: None,
        data: json!({ "digits": second.to_string() }),
    };
    for second in [1_750_000_030, 1_750_000_010] {
        assert!(
            store.append_event(workspace, &entry(kept.id, second)).await.expect("append").is_some()
        );
    }
    store
        .command_call(
            workspace,
            kept.id,
            CallCommand::Status { status: CallStatus::InProgress, at: at_second(1_750_000_020) },
            None,
        )
        .await
        .expect("answer");
    for second in [1_750_000_110, 1_750_000_120] {
        assert!(
            store
                .append_event(workspace, &entry(dropped.id, second))
                .await
                .expect("append")
                .is_some()
        );
    }
    let before = store.call_events(workspace, kept.id).await.expect("timeline");
    let times: Vec<i64> = before.iter().map(|e| e.at.as_second()).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted, "time order across the inbox and the timeline");
    assert_eq!(before.iter().filter(|e| e.kind == EventType::Dtmf).count(), 2);
    let elsewhere = new_workspace(store, None).await.id;
    assert!(store.call_events(elsewhere, kept.id).await.expect("timeline").is_empty());

    let entry_audit = audit(Some(workspace), "call.delete", dropped.id);
    assert!(store.delete_call(workspace, dropped.id, &entry_audit).await.expect("delete"));
    store.fold_timeline_inbox().await.expect("fold");
    assert_eq!(store.call_events(workspace, kept.id).await.expect("timeline"), before);
    assert!(store.call_events(workspace, dropped.id).await.expect("timeline").is_empty());
    assert_eq!(store.fold_timeline_inbox().await.expect("fold again"), 0, "the inbox is empty");
}
