//! Contract cases for calls, their timelines, rollups and the do-not-call list.

use std::collections::HashMap;

use callbase_domain::call::{
    Call, CallCommand, CallEvent, CallRejection, CallStatus, Cost, Counters, Direction, EventType,
    RollupKey, Source, TransferTarget, contribution,
};
use callbase_domain::{
    BlockId, BlockPattern, CallEventId, CallId, E164, TimeZoneName, Timestamp, WorkspaceId,
    from_micros, now,
};
use callbase_store::{
    BlockEntry, BlockPatch, CallFilter, CallPageRequest, CallPatch, CallSort, CallStore, GroupKey,
    Logged, PageRequest, SortOrder, StatsGroup, Store, StoreError, WorkspacePatch,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;

use super::{audit, new_user, new_workspace};

fn at_second(second: i64) -> Timestamp {
    from_micros(second * 1_000_000)
}

/// A plain inbound call of `workspace` started at `second` (Unix seconds).
pub(crate) fn sample_call(workspace: WorkspaceId, second: i64) -> Call {
    let started = at_second(second);
    Call {
        id: CallId::new(),
        workspace_id: workspace,
        source: Source::api(),
        external_id: None,
        direction: Direction::Inbound,
        status: CallStatus::Ringing,
        from_number: Some("+49301234567".to_owned()),
        from_name: Some("Anna Schmidt".to_owned()),
        to_number: Some("+4940555000".to_owned()),
        to_name: None,
        user_id: None,
        agent_id: None,
        lead_id: None,
        phone_number_id: None,
        parent_call_id: None,
        started_at: started,
        answered_at: None,
        ended_at: None,
        end_reason: None,
        sip_call_id: None,
        disposition: None,
        notes: None,
        tags: Vec::new(),
        blocked: false,
        has_recording: false,
        quality: None,
        cost: None,
        raw: Vec::new(),
        created_at: started,
        updated_at: started,
    }
}

async fn logged(store: &dyn Store, call: &Call) -> Call {
    match store.create_call(call, None, &[]).await.expect("create call") {
        Logged::Created(call) | Logged::Existing { call, .. } => call,
    }
}

fn first_page(limit: u32) -> CallPageRequest {
    CallPageRequest { sort: CallSort::StartedAt, order: SortOrder::Descending, after: None, limit }
}

async fn ids(store: &dyn Store, workspace: WorkspaceId, filter: &CallFilter) -> Vec<CallId> {
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

pub(crate) async fn every_filter_narrows_the_history(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let user = new_user(store, "agent@example.com").await.id;
    let base = 1_750_000_000;
    let plain = logged(store, &sample_call(workspace, base)).await;
    let mut outbound = sample_call(workspace, base + 60);
    outbound.direction = Direction::Outbound;
    outbound.status = CallStatus::Completed;
    outbound.answered_at = Some(at_second(base + 65));
    outbound.ended_at = Some(at_second(base + 185));
    outbound.from_number = Some("+4940555000".to_owned());
    outbound.to_number = Some("+14155550123".to_owned());
    outbound.to_name = Some("Bob Müller".to_owned());
    outbound.from_name = None;
    outbound.user_id = Some(user);
    outbound.source = Source::parse("sip").expect("source");
    outbound.tags = vec!["follow-up".to_owned()];
    outbound.has_recording = true;
    outbound.notes = Some("asked about pricing".to_owned());
    outbound.lead_id = Some(uuid::Uuid::now_v7());
    outbound.agent_id = Some(uuid::Uuid::now_v7());
    let outbound = logged(store, &outbound).await;

    let all = ids(store, workspace, &CallFilter::default()).await;
    assert_eq!(all, vec![outbound.id, plain.id], "newest first");
    let only_outbound = vec![outbound.id];
    let only_plain = vec![plain.id];
    let cases: Vec<(&str, CallFilter, &Vec<CallId>)> = vec![
        (
            "status",
            CallFilter { status: Some(CallStatus::Completed), ..Default::default() },
            &only_outbound,
        ),
        (
            "direction",
            CallFilter { direction: Some(Direction::Inbound), ..Default::default() },
            &only_plain,
        ),
        (
            "source",
            CallFilter { source: Source::parse("sip").ok(), ..Default::default() },
            &only_outbound,
        ),
        ("user", CallFilter { user_id: Some(user), ..Default::default() }, &only_outbound),
        ("agent", CallFilter { agent_id: outbound.agent_id, ..Default::default() }, &only_outbound),
        ("lead", CallFilter { lead_id: outbound.lead_id, ..Default::default() }, &only_outbound),
        (
            "whole number",
            CallFilter { number_suffix: Some("14155550123".into()), ..Default::default() },
            &only_outbound,
        ),
        (
            "suffix",
            CallFilter { number_suffix: Some("0123".into()), ..Default::default() },
            &only_outbound,
        ),
        (
            "suffix either side",
            CallFilter { number_suffix: Some("5000".into()), ..Default::default() },
            &all,
        ),
        (
            "from",
            CallFilter { from: Some(at_second(base + 1)), ..Default::default() },
            &only_outbound,
        ),
        ("to", CallFilter { to: Some(at_second(base + 1)), ..Default::default() }, &only_plain),
        (
            "min duration",
            CallFilter { min_duration: Some(120), ..Default::default() },
            &only_outbound,
        ),
        ("max duration", CallFilter { max_duration: Some(119), ..Default::default() }, &only_plain),
        (
            "has recording",
            CallFilter { has_recording: Some(true), ..Default::default() },
            &only_outbound,
        ),
        (
            "no recording",
            CallFilter { has_recording: Some(false), ..Default::default() },
            &only_plain,
        ),
        ("tag", CallFilter { tag: Some("follow-up".into()), ..Default::default() }, &only_outbound),
        ("q name", CallFilter { q: Some("anna".into()), ..Default::default() }, &only_plain),
        (
            "q notes",
            CallFilter { q: Some("Pricing asked".into()), ..Default::default() },
            &only_outbound,
        ),
    ];
    for (name, filter, expected) in cases {
        assert_eq!(&ids(store, workspace, &filter).await, expected, "filter {name}");
    }
    let nothing = CallFilter { number_suffix: Some("9999".into()), ..Default::default() };
    assert!(ids(store, workspace, &nothing).await.is_empty());
    let syntax = CallFilter { q: Some("\"unbalanced OR *".into()), ..Default::default() };
    assert!(ids(store, workspace, &syntax).await.is_empty(), "search syntax is not interpreted");

    let notes = CallPatch { notes: Some(Some("renamed topic".into())), ..Default::default() };
    store
        .update_call(workspace, plain.id, &notes, &audit(Some(workspace), "call.update", plain.id))
        .await
        .expect("patch");
    let renamed = CallFilter { q: Some("topic".into()), ..Default::default() };
    assert_eq!(ids(store, workspace, &renamed).await, only_plain, "edits reach the search index");

    let by_duration = CallPageRequest { sort: CallSort::Duration, ..first_page(10) };
    let page =
        store.list_calls(workspace, &CallFilter::default(), &by_duration).await.expect("list");
    assert_eq!(page.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![outbound.id, plain.id]);
}

pub(crate) async fn pages_have_no_gaps_while_calls_arrive(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let base = 1_750_000_000;
    let mut expected = Vec::new();
    for i in 0..25 {
        // Several calls share a start second: the id breaks the tie.
        expected.push(logged(store, &sample_call(workspace, base + i / 3)).await.id);
    }
    let mut seen = Vec::new();
    let mut request = first_page(4);
    loop {
        let page =
            store.list_calls(workspace, &CallFilter::default(), &request).await.expect("page");
        seen.extend(page.items.iter().map(|c| c.id));
        // New calls keep arriving, newer than everything listed so far.
        logged(store, &sample_call(workspace, base + 1000 + seen.len() as i64)).await;
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no duplicates");
    let newest_first: Vec<CallId> = {
        let mut calls = Vec::new();
        for id in &expected {
            calls.push(store.call(workspace, *id).await.expect("read").expect("exists"));
        }
        calls.sort_by_key(|c| std::cmp::Reverse((c.started_at, c.id)));
        calls.into_iter().map(|c| c.id).collect()
    };
    assert_eq!(seen, newest_first, "every call present before the walk, in order, no gaps");
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

/// Sums every call's contribution from scratch, as the rollups should hold them.
async fn recomputed(
    store: &dyn Store,
    workspace: WorkspaceId,
    zone: &str,
) -> HashMap<RollupKey, Counters> {
    let tz = jiff::tz::TimeZone::get(zone).expect("zone");
    let mut rows: HashMap<RollupKey, Counters> = HashMap::new();
    let mut request = first_page(1000);
    loop {
        let page =
            store.list_calls(workspace, &CallFilter::default(), &request).await.expect("page");
        for call in &page.items {
            let (key, counts) = contribution(call, &tz);
            rows.entry(key).or_default().add(&counts);
        }
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    rows.retain(|_, counts| !counts.is_zero());
    rows
}

async fn rollups(store: &dyn Store, workspace: WorkspaceId) -> HashMap<RollupKey, Counters> {
    store.rollup_rows(workspace).await.expect("rollups").into_iter().collect()
}

pub(crate) async fn rollups_always_equal_a_recomputation(store: &dyn Store) {
    let seed: u64 = rand::random();
    let mut rng = StdRng::seed_from_u64(seed);
    let workspace = new_workspace(store, None).await.id; // Europe/Berlin
    let users =
        [new_user(store, "a@example.com").await.id, new_user(store, "b@example.com").await.id];
    let mut calls: Vec<CallId> = Vec::new();
    // Around the October 2026 DST change in Berlin.
    let base = 1_792_800_000;
    for step in 0..120 {
        let choice = if calls.is_empty() { 0 } else { rng.random_range(0..6) };
        let pick = |rng: &mut StdRng| calls[rng.random_range(0..calls.len())];
        let at = at_second(base + rng.random_range(0..200_000));
        match choice {
            0 | 1 => {
                let mut call = sample_call(workspace, base + rng.random_range(0..200_000));
                call.direction = [Direction::Inbound, Direction::Outbound, Direction::Internal]
                    [rng.random_range(0..3)];
                call.user_id = rng.random_bool(0.5).then(|| users[rng.random_range(0..2)]);
                call.source = Source::parse(["api", "sip", "twilio"][rng.random_range(0..3)])
                    .expect("source");
                calls.push(logged(store, &call).await.id);
            }
            2 => {
                let status = CallStatus::ALL[rng.random_range(0..CallStatus::ALL.len())];
                let _ = store
                    .command_call(
                        workspace,
                        pick(&mut rng),
                        CallCommand::Status { status, at },
                        None,
                    )
                    .await;
            }
            3 => {
                let _ = store
                    .command_call(
                        workspace,
                        pick(&mut rng),
                        CallCommand::End { at, reason: None },
                        None,
                    )
                    .await;
            }
            4 => {
                let user = rng.random_bool(0.5).then(|| users[rng.random_range(0..2)]);
                let patch = CallPatch {
                    user_id: Some(user),
                    tags: Some(vec![format!("t{step}")]),
                    ..Default::default()
                };
                let id = pick(&mut rng);
                store
                    .update_call(workspace, id, &patch, &audit(Some(workspace), "call.update", id))
                    .await
                    .expect("patch");
            }
            _ => {
                let id = calls.swap_remove(rng.random_range(0..calls.len()));
                store
                    .delete_call(workspace, id, &audit(Some(workspace), "call.delete", id))
                    .await
                    .expect("delete");
            }
        }
        if step % 20 == 19 {
            assert_eq!(
                rollups(store, workspace).await,
                recomputed(store, workspace, "Europe/Berlin").await,
                "seed {seed}, step {step}"
            );
        }
    }
    // A new time zone moves every local hour: the rollups are rebuilt.
    let patch = WorkspacePatch {
        time_zone: TimeZoneName::parse("Asia/Kolkata").ok(),
        ..Default::default()
    };
    store
        .update_workspace(workspace, &patch, &audit(Some(workspace), "workspace.update", workspace))
        .await
        .expect("tz");
    assert_eq!(
        rollups(store, workspace).await,
        recomputed(store, workspace, "Asia/Kolkata").await,
        "seed {seed}"
    );
}

pub(crate) async fn stats_sum_rollups_by_group(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let base = 1_750_000_000;
    for (offset, direction, answered) in [
        (0, Direction::Inbound, true),
        (10, Direction::Inbound, false),
        (7200, Direction::Outbound, true),
    ] {
        let mut call = sample_call(workspace, base + offset);
        call.direction = direction;
        let call = logged(store, &call).await;
        if answered {
            let command = CallCommand::Status {
                status: CallStatus::InProgress,
                at: at_second(base + offset + 5),
            };
            store.command_call(workspace, call.id, command, None).await.expect("answer");
        }
        store
            .command_call(
                workspace,
                call.id,
                CallCommand::End { at: at_second(base + offset + 65), reason: None },
                None,
            )
            .await
            .expect("end");
    }
    let (from, to) = ((base - 86_400) * 1_000_000, (base + 86_400) * 1_000_000);
    let all = store.call_stats(workspace, from, to, StatsGroup::All).await.expect("stats");
    assert_eq!(all.len(), 1);
    let totals = all[0].1;
    assert_eq!(
        (totals.calls, totals.inbound, totals.outbound, totals.answered, totals.missed),
        (3, 2, 1, 2, 1)
    );
    assert_eq!((totals.talked, totals.talk_seconds), (2, 120));
    let by_direction =
        store.call_stats(workspace, from, to, StatsGroup::Direction).await.expect("stats");
    assert!(by_direction.contains(&(
        GroupKey::Direction(Direction::Outbound),
        Counters {
            calls: 1,
            outbound: 1,
            answered: 1,
            rang: 1,
            ring_seconds: 5,
            talked: 1,
            talk_seconds: 60,
            durations: [0, 0, 0, 1, 0, 0, 0, 0],
            ..Counters::default()
        }
    )));
    let buckets = store.call_stats(workspace, from, to, StatsGroup::Bucket).await.expect("stats");
    assert_eq!(buckets.len(), 2, "two distinct hours");
    let outside = store.call_stats(workspace, 0, from, StatsGroup::All).await.expect("stats");
    assert!(outside.is_empty());
}

pub(crate) async fn blocklist_matches_numbers_and_prefixes(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let entry = |pattern: BlockPattern, expires_at: Option<Timestamp>| BlockEntry {
        id: BlockId::new(),
        workspace_id: workspace,
        pattern,
        reason: Some("asked not to be called".to_owned()),
        expires_at,
        created_by: None,
        created_at: now(),
    };
    let number = |raw: &str| E164::parse(raw, None).expect("number");
    let create = |e: BlockEntry| async move {
        store.create_block(&e, &audit(Some(e.workspace_id), "blocklist.create", e.id)).await
    };
    let exact =
        create(entry(BlockPattern::Number(number("+49301234567")), None)).await.expect("create");
    let prefix =
        create(entry(BlockPattern::prefix("+44 20").expect("prefix"), None)).await.expect("create");
    let expired = create(entry(BlockPattern::prefix("+1").expect("prefix"), Some(at_second(1))))
        .await
        .expect("create");
    assert!(matches!(
        create(entry(BlockPattern::Number(number("+49 30 1234567")), None)).await,
        Err(StoreError::Conflict(_))
    ));
    let blocking = |raw: &'static str| async move {
        store.blocking_entries(workspace, &number(raw), now()).await.expect("lookup")
    };
    assert_eq!(blocking("+49301234567").await, vec![exact.clone()]);
    assert!(blocking("+49301234568").await.is_empty());
    assert_eq!(blocking("+442071234567").await, vec![prefix.clone()]);
    assert!(blocking("+14155550123").await.is_empty(), "expired");

    let patch = BlockPatch { expires_at: Some(None), reason: Some(None) };
    let renewed = store
        .update_block(
            workspace,
            expired.id,
            &patch,
            &audit(Some(workspace), "blocklist.update", expired.id),
        )
        .await
        .expect("update")
        .expect("found");
    assert_eq!((renewed.expires_at, renewed.reason), (None, None));
    assert_eq!(blocking("+14155550123").await.len(), 1);

    let elsewhere = new_workspace(store, None).await.id;
    assert!(
        store
            .blocking_entries(elsewhere, &number("+49301234567"), now())
            .await
            .expect("lookup")
            .is_empty()
    );
    assert_eq!(store.block(elsewhere, exact.id).await.expect("read"), None);
    let page = store.list_blocks(workspace, &PageRequest::first(10)).await.expect("list");
    assert_eq!(page.items.len(), 3);
    assert!(
        store
            .delete_block(
                workspace,
                exact.id,
                &audit(Some(workspace), "blocklist.delete", exact.id)
            )
            .await
            .expect("delete")
    );
    assert!(blocking("+49301234567").await.is_empty());
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

/// Past the point where a filter drives the query, the same filters still find every call.
pub(crate) async fn common_matches_walk_the_time_index(store: &callbase_store::SqlStore) {
    let workspace = new_workspace(store, None).await.id;
    let mut calls = Vec::new();
    for i in 0..2100 {
        let mut call = sample_call(workspace, 1_792_800_000 + i);
        call.tags = vec!["many".to_owned()];
        call.notes = Some("common words".to_owned());
        calls.push(call);
    }
    store.import_calls(workspace, &calls, &[]).await.expect("import");
    let mut rare = sample_call(workspace, 1_792_900_000);
    rare.from_number = Some("+4989999999".to_owned());
    rare.tags = vec!["many".to_owned()];
    rare.notes = Some("common words".to_owned());
    let rare = logged(store, &rare).await;
    for filter in [
        CallFilter { tag: Some("many".into()), ..Default::default() },
        CallFilter { number_suffix: Some("4567".into()), ..Default::default() },
        CallFilter { q: Some("common".into()), ..Default::default() },
    ] {
        let mut seen = 0;
        let mut request = first_page(1000);
        loop {
            let page = store.list_calls(workspace, &filter, &request).await.expect("page");
            seen += page.items.len();
            match page.next {
                Some(next) => request.after = Some(next),
                None => break,
            }
        }
        let expected = if filter.number_suffix.is_some() { 2100 } else { 2101 };
        assert_eq!(seen, expected, "{filter:?}");
    }
    let both = CallFilter {
        tag: Some("many".into()),
        number_suffix: Some("9999".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(store, workspace, &both).await,
        vec![rare.id],
        "a rare filter drives, a common one checks"
    );
}
