//! Contract cases for the call history: every filter, keyset pages, rare and common matches.

use callbase_domain::CallId;
use callbase_domain::call::{CallCommand, CallStatus, Direction, Source};
use callbase_store::{
    CallFilter, CallPageRequest, CallPatch, CallSort, CallStore, SortOrder, Store,
};

use super::calls::{at_second, first_page, ids, logged, sample_call};
use super::{audit, new_user, new_workspace};
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

/// A call stays findable by its names while it moves through its lifecycle and its notes
/// change; replaced notes stop matching.
pub(crate) async fn names_and_notes_stay_searchable_as_calls_change(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let base = 1_750_000_000;
    let call = logged(store, &sample_call(workspace, base)).await;
    let found = |q: &str| {
        let filter = CallFilter { q: Some(q.into()), ..Default::default() };
        async move { ids(store, workspace, &filter).await }
    };
    assert_eq!(found("schmidt").await, vec![call.id], "a new call");
    let answer = CallCommand::Status { status: CallStatus::InProgress, at: at_second(base + 5) };
    store.command_call(workspace, call.id, answer, None).await.expect("answer");
    assert_eq!(found("schmidt").await, vec![call.id], "after a status change");

    for (notes, gone) in [("callback tomorrow", None), ("no further contact", Some("callback"))] {
        let patch = CallPatch { notes: Some(Some(notes.into())), ..Default::default() };
        let entry = audit(Some(workspace), "call.update", call.id);
        store.update_call(workspace, call.id, &patch, &entry).await.expect("notes");
        assert_eq!(found(notes).await, vec![call.id], "new notes: {notes}");
        assert_eq!(found("schmidt").await, vec![call.id], "the name, after notes {notes}");
        if let Some(gone) = gone {
            assert!(found(gone).await.is_empty(), "replaced notes no longer match");
        }
    }
    let end = CallCommand::End { at: at_second(base + 90), reason: None };
    store.command_call(workspace, call.id, end, None).await.expect("end");
    assert_eq!(found("schmidt").await, vec![call.id], "after the end");
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

/// A number's calls page by start time exactly as the general query pages them (the number
/// path sorts ids from its index before reading rows).
pub(crate) async fn number_pages_walk_in_start_order(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let mut expected = Vec::new();
    for i in 0..9_i64 {
        let mut call = sample_call(workspace, 1_750_000_000 + (i % 3) * 60);
        if i % 2 == 0 {
            // The number on the other side: both columns are searched.
            call.from_number = Some("+4989000111".to_owned());
            call.to_number = Some("+49301234567".to_owned());
        }
        expected.push(logged(store, &call).await);
    }
    let mut other = sample_call(workspace, 1_750_000_030);
    other.from_number = Some("+4989000222".to_owned());
    other.to_number = Some("+4989000333".to_owned());
    logged(store, &other).await;
    for order in [SortOrder::Descending, SortOrder::Ascending] {
        let mut want: Vec<_> = expected.iter().map(|c| (c.started_at, c.id)).collect();
        want.sort();
        if order == SortOrder::Descending {
            want.reverse();
        }
        let filter = CallFilter { number_suffix: Some("4567".into()), ..Default::default() };
        let mut page = CallPageRequest { order, limit: 2, ..first_page(2) };
        let mut walked = Vec::new();
        loop {
            let found = store.list_calls(workspace, &filter, &page).await.expect("page");
            walked.extend(found.items.iter().map(|c| (c.started_at, c.id)));
            match found.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        assert_eq!(walked, want, "{order:?}");
        let window = CallFilter {
            from: Some(at_second(1_750_000_060)),
            to: Some(at_second(1_750_000_120)),
            ..filter.clone()
        };
        let found = store.list_calls(workspace, &window, &first_page(50)).await.expect("page");
        assert_eq!(found.items.len(), 3, "the calls of the middle minute");
    }
}
