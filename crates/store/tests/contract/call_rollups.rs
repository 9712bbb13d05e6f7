//! Contract cases for the statistics rollups: always equal to a recomputation, summed by group.

use std::collections::HashMap;

use callbase_domain::call::{
    CallCommand, CallStatus, Counters, Direction, RollupKey, Source, contribution,
};
use callbase_domain::{CallId, TimeZoneName, WorkspaceId};
use callbase_store::{CallFilter, CallPatch, GroupKey, StatsGroup, Store, WorkspacePatch};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::calls::{at_second, first_page, logged, sample_call};
use super::{audit, new_user, new_workspace};
/// Sums every call's contribution from scratch, as the rollups should hold them.
pub(crate) async fn recomputed(
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

pub(crate) async fn rollups(
    store: &dyn Store,
    workspace: WorkspaceId,
) -> HashMap<RollupKey, Counters> {
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
    let expected = recomputed(store, workspace, "Asia/Kolkata").await;
    assert_eq!(rollups(store, workspace).await, expected, "seed {seed}");
    // The lean read of contributions (statistics' partial hours) agrees, whole and in parts.
    let tz = jiff::tz::TimeZone::get("Asia/Kolkata").expect("zone");
    let split = (base + 100_000) * 1_000_000;
    let mut lean: HashMap<RollupKey, Counters> = HashMap::new();
    for (from, to) in [(i64::MIN, split), (split, i64::MAX)] {
        let part = store.call_contributions(workspace, from, to, &tz).await.expect("part");
        for (key, counts) in part {
            lean.entry(key).or_default().add(&counts);
        }
    }
    lean.retain(|_, counts| !counts.is_zero());
    assert_eq!(lean, expected, "contributions, seed {seed}");
    let elsewhere = new_workspace(store, None).await.id;
    let none = store.call_contributions(elsewhere, i64::MIN, i64::MAX, &tz).await.expect("none");
    assert!(none.is_empty(), "another workspace's calls");
}

pub(crate) async fn stats_sum_rollups_by_group(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let user = new_user(store, "grouped@example.com").await.id;
    let agent = uuid::Uuid::now_v7();
    let base = 1_750_000_000;
    // The user's calls are two hours apart, the agent's in one hour: each group sums
    // across hours and across rows of one hour.
    for (offset, direction, answered, user, agent) in [
        (0, Direction::Inbound, true, Some(user), Some(agent)),
        (10, Direction::Inbound, false, None, Some(agent)),
        (7200, Direction::Outbound, true, Some(user), None),
    ] {
        let mut call = sample_call(workspace, base + offset);
        call.direction = direction;
        call.user_id = user;
        call.agent_id = agent;
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
    let calls_by = |rows: Vec<(GroupKey, Counters)>| -> HashMap<GroupKey, i64> {
        rows.into_iter().map(|(key, counts)| (key, counts.calls)).collect()
    };
    let by_user = store.call_stats(workspace, from, to, StatsGroup::User).await.expect("stats");
    assert_eq!(
        calls_by(by_user),
        HashMap::from([(GroupKey::User(Some(user)), 2), (GroupKey::User(None), 1)])
    );
    let by_agent = store.call_stats(workspace, from, to, StatsGroup::Agent).await.expect("stats");
    assert_eq!(
        calls_by(by_agent),
        HashMap::from([(GroupKey::Agent(Some(agent)), 2), (GroupKey::Agent(None), 1)])
    );
    let buckets = store.call_stats(workspace, from, to, StatsGroup::Bucket).await.expect("stats");
    assert_eq!(buckets.len(), 2, "two distinct hours");
    let outside = store.call_stats(workspace, 0, from, StatsGroup::All).await.expect("stats");
    assert!(outside.is_empty());

    // One user's statistics (an agent who sees only their own calls): their two calls, by
    // hour and in all, and the same from the calls themselves for partial hours.
    let mine = store.user_call_stats(workspace, user, from, to, StatsGroup::All).await;
    assert_eq!(calls_by(mine.expect("stats")), HashMap::from([(GroupKey::All, 2)]));
    let hours = store.user_call_stats(workspace, user, from, to, StatsGroup::Bucket).await;
    assert_eq!(hours.expect("stats").len(), 2);
    let utc = jiff::tz::TimeZone::UTC;
    let contributions = store.user_call_contributions(workspace, user, from, to, &utc).await;
    let contributions = contributions.expect("contributions");
    assert_eq!(contributions.iter().map(|(_, counts)| counts.calls).sum::<i64>(), 2);
    assert!(contributions.iter().all(|(key, _)| key.user_id == Some(user)));
    let nobody = new_user(store, "nobody-calls@example.com").await.id;
    let none = store.user_call_stats(workspace, nobody, from, to, StatsGroup::All).await;
    assert!(none.expect("stats").is_empty());
}
