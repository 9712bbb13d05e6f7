//! The storage contract: every backend must pass every case, on a fresh database each.

use callbase_domain::{
    DisplayName, Email, Role, TimeZoneName, TokenId, UserId, UserStatus, WorkspaceId, now,
};
use callbase_store::testing::fresh_store;
use callbase_store::{
    AuditEntry, AuditFilter, Backend, ConflictKind, NewToken, NewUser, NewWorkspace, PageRequest,
    SortOrder, Store, StoreError, TokenFilter, TokenKind, UserFilter, UserPatch, WorkspaceFilter,
    WorkspacePatch,
};

mod access;
mod blocklist;
mod call_history;
mod call_reports;
mod call_rollups;
mod calls;
mod integrations;
mod recordings;

use access::*;
use blocklist::*;
use call_history::*;
use call_reports::*;
use call_rollups::*;
use calls::*;
use integrations::*;
use recordings::*;

/// Runs each contract case once on SQLite and once on PostgreSQL.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $case() { super::$case(&super::store(super::Backend::Sqlite).await).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $case() { super::$case(&super::store(super::Backend::Postgres).await).await; })*
        }
    };
}

contract!(
    users_round_trip,
    duplicate_email_conflicts_and_writes_nothing,
    user_patch_changes_only_given_fields,
    users_page_without_gaps_or_duplicates,
    workspace_creation_makes_the_owner,
    members_are_scoped_to_their_workspace,
    last_owner_cannot_leave_or_be_demoted,
    removing_a_member_revokes_their_tokens,
    deleting_a_workspace_removes_its_data,
    tokens_are_found_by_hash_touched_and_revoked,
    audit_is_listed_per_workspace_newest_first,
    calls_round_trip_and_log_once,
    commands_follow_the_lifecycle,
    every_filter_narrows_the_history,
    names_and_notes_stay_searchable_as_calls_change,
    pages_have_no_gaps_while_calls_arrive,
    number_pages_walk_in_start_order,
    deleting_a_call_removes_its_timeline_and_counts,
    rollups_always_equal_a_recomputation,
    stats_sum_rollups_by_group,
    blocklist_matches_numbers_and_prefixes,
    imported_calls_count_like_logged_ones,
    common_matches_walk_the_time_index,
    appended_events_touch_nothing_else,
    appends_and_edits_interleave,
    appended_events_read_the_same_before_and_after_the_fold,
    recordings_follow_their_call,
    recordings_are_listed_by_filter_and_workspace,
    transcripts_are_replaced_and_searched,
    server_keys_are_made_once,
    share_links_are_scoped_revocable_and_follow_their_creator,
    invitations_are_accepted_once_and_only_while_open,
    a_password_change_ends_the_other_sessions,
    integrations_round_trip_page_and_change,
    integrations_are_scoped_to_their_workspace,
    integration_activity_accumulates,
    integration_changes_are_audited,
    integrations_go_with_their_workspace,
    reports_make_one_call_whatever_their_order,
    concurrent_reports_end_like_sequential_ones,
    reports_flag_calls_to_numbers_on_the_do_not_call_list,
    old_receipts_are_forgotten,
    child_legs_are_listed_with_their_parent,
);

async fn store(backend: Backend) -> callbase_store::SqlStore {
    fresh_store(backend).await.expect("a fresh database (is PostgreSQL running?)")
}

fn audit(
    workspace: Option<WorkspaceId>,
    action: &str,
    target: impl std::fmt::Display,
) -> AuditEntry {
    AuditEntry {
        client_addr: Some("127.0.0.1".to_owned()),
        ..AuditEntry::new(workspace, action, target)
    }
}

async fn new_user(store: &dyn Store, email: &str) -> callbase_store::User {
    let id = UserId::new();
    let user = NewUser {
        id,
        email: Email::parse(email).expect("email"),
        name: DisplayName::parse("Test User").expect("name"),
        password_hash: "$argon2id$fake".to_owned(),
        is_superuser: false,
        membership: None,
        at: now(),
    };
    store.create_user(user, &audit(None, "user.create", id)).await.expect("create user")
}

async fn new_workspace(store: &dyn Store, owner: Option<UserId>) -> callbase_store::Workspace {
    let id = WorkspaceId::new();
    let workspace = NewWorkspace {
        id,
        name: DisplayName::parse("Sales").expect("name"),
        time_zone: TimeZoneName::parse("Europe/Berlin").expect("tz"),
        region: None,
        at: now(),
    };
    store
        .create_workspace(workspace, owner, &audit(Some(id), "workspace.create", id))
        .await
        .expect("create workspace")
}

async fn users_round_trip(store: &dyn Store) {
    let user = new_user(store, "Ana@Example.com").await;
    assert_eq!(user.email.as_str(), "ana@example.com");
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(store.user(user.id).await.expect("get"), Some(user.clone()));
    let (found, hash) = store
        .user_credentials(&Email::parse("ana@example.com").expect("email"))
        .await
        .expect("credentials")
        .expect("found");
    assert_eq!(found, user);
    assert_eq!(hash, "$argon2id$fake");
    assert_eq!(store.user(UserId::new()).await.expect("get"), None);
    assert_eq!(store.count_users().await.expect("count"), 1);
    assert_eq!(store.count_superusers().await.expect("count"), 0);
    let promote = UserPatch { is_superuser: Some(true), ..UserPatch::default() };
    store
        .update_user(user.id, &promote, &audit(None, "user.update", user.id))
        .await
        .expect("update");
    assert_eq!(store.count_superusers().await.expect("count"), 1);
}

async fn duplicate_email_conflicts_and_writes_nothing(store: &dyn Store) {
    new_user(store, "dup@example.com").await;
    let user = NewUser {
        id: UserId::new(),
        email: Email::parse("DUP@example.com").expect("email"),
        name: DisplayName::parse("Other").expect("name"),
        password_hash: "x".to_owned(),
        is_superuser: false,
        membership: None,
        at: now(),
    };
    let err = store.create_user(user, &audit(None, "user.create", "dup")).await;
    assert!(matches!(err, Err(StoreError::Conflict(ConflictKind::Email))), "{err:?}");
    let log = store.list_audit(&AuditFilter::default(), &PageRequest::first(100)).await;
    assert_eq!(log.expect("audit").items.len(), 1, "the failed insert left no audit entry");
}

async fn user_patch_changes_only_given_fields(store: &dyn Store) {
    let user = new_user(store, "patch@example.com").await;
    let patch = UserPatch { status: Some(UserStatus::Suspended), ..UserPatch::default() };
    let patched = store
        .update_user(user.id, &patch, &audit(None, "user.suspend", user.id))
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(patched.status, UserStatus::Suspended);
    assert_eq!(patched.name, user.name);
    assert!(!patched.is_superuser);
    let missing = store.update_user(UserId::new(), &patch, &audit(None, "user.suspend", "x")).await;
    assert_eq!(missing.expect("update"), None);
}

async fn users_page_without_gaps_or_duplicates(store: &dyn Store) {
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(new_user(store, &format!("u{n}@example.com")).await.id);
    }
    for order in [SortOrder::Ascending, SortOrder::Descending] {
        let mut seen = Vec::new();
        let mut page = PageRequest { after: None, limit: 3, order };
        loop {
            let got = store.list_users(&UserFilter::default(), &page).await.expect("list");
            assert!(got.items.len() <= 3);
            seen.extend(got.items.iter().map(|u| u.id));
            match got.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        let mut expected = created.clone();
        if order == SortOrder::Descending {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{order:?}");
    }
}

async fn workspace_creation_makes_the_owner(store: &dyn Store) {
    let owner = new_user(store, "owner@example.com").await;
    let workspace = new_workspace(store, Some(owner.id)).await;
    assert_eq!(workspace.time_zone.as_str(), "Europe/Berlin");
    assert_eq!(store.role_in(workspace.id, owner.id).await.expect("role"), Some(Role::Owner));
    let memberships = store.memberships(owner.id).await.expect("memberships");
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].workspace, workspace);
    let mine = WorkspaceFilter { member: Some(owner.id) };
    let listed = store.list_workspaces(&mine, &PageRequest::first(10)).await.expect("list");
    assert_eq!(listed.items, vec![workspace.clone()]);
    let patch = WorkspacePatch {
        region: Some(Some(callbase_domain::RegionCode::parse("DE").expect("region"))),
        ..WorkspacePatch::default()
    };
    let updated = store
        .update_workspace(workspace.id, &patch, &audit(Some(workspace.id), "workspace.update", 1))
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(updated.region.map(|r| r.to_string()), Some("DE".to_owned()));
    assert_eq!(updated.name, workspace.name);
    let cleared = WorkspacePatch { region: Some(None), ..WorkspacePatch::default() };
    let updated = store
        .update_workspace(workspace.id, &cleared, &audit(Some(workspace.id), "workspace.update", 2))
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(updated.region, None);
}

async fn members_are_scoped_to_their_workspace(store: &dyn Store) {
    let a_owner = new_user(store, "a@example.com").await;
    let b_owner = new_user(store, "b@example.com").await;
    let agent = new_user(store, "agent@example.com").await;
    let a = new_workspace(store, Some(a_owner.id)).await;
    let b = new_workspace(store, Some(b_owner.id)).await;
    store
        .add_member(a.id, agent.id, Role::Agent, &audit(Some(a.id), "member.add", agent.id))
        .await
        .expect("add");
    let again = store
        .add_member(a.id, agent.id, Role::Viewer, &audit(Some(a.id), "member.add", agent.id))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(ConflictKind::Member))), "{again:?}");
    let a_members = store.list_members(a.id, &PageRequest::first(10)).await.expect("list");
    let mut ids: Vec<_> = a_members.items.iter().map(|m| m.user.id).collect();
    ids.sort();
    let mut expected = vec![a_owner.id, agent.id];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(store.role_in(b.id, agent.id).await.expect("role"), None);
    let in_b = UserFilter { workspace: Some(b.id), ..UserFilter::default() };
    let b_users = store.list_users(&in_b, &PageRequest::first(10)).await.expect("list");
    assert_eq!(b_users.items.iter().map(|u| u.id).collect::<Vec<_>>(), vec![b_owner.id]);
    let stats = store.workspace_stats(a.id).await.expect("stats");
    assert_eq!(stats.members, 2);
}

async fn last_owner_cannot_leave_or_be_demoted(store: &dyn Store) {
    let owner = new_user(store, "solo@example.com").await;
    let second = new_user(store, "second@example.com").await;
    let ws = new_workspace(store, Some(owner.id)).await;
    let demote = store
        .set_member_role(ws.id, owner.id, Role::Admin, &audit(Some(ws.id), "member.role", 1))
        .await;
    assert!(matches!(demote, Err(StoreError::LastOwner)), "{demote:?}");
    let leave = store.remove_member(ws.id, owner.id, &audit(Some(ws.id), "member.remove", 1)).await;
    assert!(matches!(leave, Err(StoreError::LastOwner)), "{leave:?}");
    assert_eq!(store.role_in(ws.id, owner.id).await.expect("role"), Some(Role::Owner));

    store
        .add_member(ws.id, second.id, Role::Owner, &audit(Some(ws.id), "member.add", 2))
        .await
        .expect("add");
    let demoted = store
        .set_member_role(ws.id, owner.id, Role::Viewer, &audit(Some(ws.id), "member.role", 3))
        .await
        .expect("demote")
        .expect("member");
    assert_eq!(demoted.role, Role::Viewer);
    let removed =
        store.remove_member(ws.id, owner.id, &audit(Some(ws.id), "member.remove", 4)).await;
    assert!(removed.expect("remove"));
    let unknown = store.set_member_role(ws.id, owner.id, Role::Agent, &audit(None, "x", 5)).await;
    assert_eq!(unknown.expect("no error"), None);
}

fn api_token(user: UserId, workspace: WorkspaceId, secret: &[u8]) -> NewToken {
    NewToken {
        id: TokenId::new(),
        kind: TokenKind::Api,
        secret_hash: secret.to_vec(),
        user_id: user,
        workspace_id: Some(workspace),
        name: "ci".to_owned(),
        prefix: "cb_abcd".to_owned(),
        at: now(),
        expires_at: None,
    }
}

async fn removing_a_member_revokes_their_tokens(store: &dyn Store) {
    let owner = new_user(store, "o@example.com").await;
    let agent = new_user(store, "ag@example.com").await;
    let ws = new_workspace(store, Some(owner.id)).await;
    store.add_member(ws.id, agent.id, Role::Agent, &audit(Some(ws.id), "m", 1)).await.expect("add");
    let token = store.create_token(api_token(agent.id, ws.id, b"agent-secret"), None).await;
    let token = token.expect("token");
    assert!(store.remove_member(ws.id, agent.id, &audit(Some(ws.id), "m", 2)).await.expect("rm"));
    let after = store.token(token.id).await.expect("get").expect("exists");
    assert!(after.revoked_at.is_some());
}

async fn deleting_a_workspace_removes_its_data(store: &dyn Store) {
    let owner = new_user(store, "del@example.com").await;
    let ws = new_workspace(store, Some(owner.id)).await;
    let token = store.create_token(api_token(owner.id, ws.id, b"del-secret"), None).await;
    let token = token.expect("token");
    assert!(
        store
            .delete_workspace(ws.id, &audit(Some(ws.id), "workspace.delete", ws.id))
            .await
            .expect("delete")
    );
    assert_eq!(store.workspace(ws.id).await.expect("get"), None);
    assert_eq!(store.role_in(ws.id, owner.id).await.expect("role"), None);
    assert_eq!(store.token(token.id).await.expect("get"), None);
    assert!(
        !store
            .delete_workspace(ws.id, &audit(None, "workspace.delete", ws.id))
            .await
            .expect("again")
    );
    let log =
        store.list_audit(&AuditFilter::default(), &PageRequest::first(10)).await.expect("log");
    assert_eq!(log.items[0].action, "workspace.delete", "the deletion itself stays on record");
    assert_eq!(log.items[0].workspace_id, None);
}

async fn tokens_are_found_by_hash_touched_and_revoked(store: &dyn Store) {
    let owner = new_user(store, "tok@example.com").await;
    let ws = new_workspace(store, Some(owner.id)).await;
    let token = store
        .create_token(
            api_token(owner.id, ws.id, b"hash-1"),
            Some(&audit(Some(ws.id), "token.create", 1)),
        )
        .await
        .expect("create");
    let dup = store.create_token(api_token(owner.id, ws.id, b"hash-1"), None).await;
    assert!(matches!(dup, Err(StoreError::Conflict(ConflictKind::Token))), "{dup:?}");
    assert_eq!(store.token_by_secret_hash(b"hash-1").await.expect("find"), Some(token.clone()));
    assert_eq!(store.token_by_secret_hash(b"other").await.expect("find"), None);
    let found = store.authenticate(b"hash-1").await.expect("auth").expect("found");
    assert_eq!(
        (found.token, found.user, found.role),
        (token.clone(), owner.clone(), Some(Role::Owner))
    );
    assert_eq!(store.authenticate(b"other").await.expect("auth"), None);
    let session = NewToken {
        kind: TokenKind::Session,
        workspace_id: None,
        ..api_token(owner.id, ws.id, b"session-1")
    };
    store.create_token(session, None).await.expect("session");
    let found = store.authenticate(b"session-1").await.expect("auth").expect("found");
    assert_eq!((found.token.kind, found.role), (TokenKind::Session, None));
    assert!(token.is_usable_at(now()));

    let first_use = now();
    store.touch_token(token.id, first_use, 60_000_000).await.expect("touch");
    let later = callbase_domain::from_micros(callbase_domain::to_micros(first_use) + 1_000_000);
    store.touch_token(token.id, later, 60_000_000).await.expect("touch");
    let touched = store.token(token.id).await.expect("get").expect("exists");
    assert_eq!(
        touched.last_used_at,
        Some(first_use),
        "a second use within a minute writes nothing"
    );

    let revoked = store.revoke_token(token.id, now(), None).await.expect("revoke").expect("exists");
    assert!(!revoked.is_usable_at(now()));
    let filter = TokenFilter { workspace: Some(ws.id), ..TokenFilter::default() };
    let listed = store.list_tokens(&filter, &PageRequest::first(10)).await.expect("list");
    assert_eq!(listed.items.len(), 1);
    let other = TokenFilter { workspace: Some(WorkspaceId::new()), ..TokenFilter::default() };
    assert!(
        store.list_tokens(&other, &PageRequest::first(10)).await.expect("list").items.is_empty()
    );
    assert_eq!(store.workspace_stats(ws.id).await.expect("stats").api_tokens, 0);
}

async fn audit_is_listed_per_workspace_newest_first(store: &dyn Store) {
    let a = new_workspace(store, None).await;
    let b = new_workspace(store, None).await;
    for n in 0..3 {
        store
            .update_workspace(
                a.id,
                &WorkspacePatch::default(),
                &audit(Some(a.id), "workspace.update", n),
            )
            .await
            .expect("update");
    }
    let only_a = AuditFilter { workspace: Some(a.id), ..AuditFilter::default() };
    let log = store.list_audit(&only_a, &PageRequest::first(100)).await.expect("log");
    let targets: Vec<_> = log.items.iter().filter_map(|e| e.target_id.clone()).collect();
    assert_eq!(targets, vec!["2", "1", "0", &a.id.to_string()]);
    assert!(log.items.iter().all(|e| e.workspace_id == Some(a.id)));
    assert_eq!(log.items[0].client_addr.as_deref(), Some("127.0.0.1"));
    let by_action = AuditFilter {
        workspace: Some(b.id),
        action: Some("workspace.create".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(
        store.list_audit(&by_action, &PageRequest::first(10)).await.expect("log").items.len(),
        1
    );
}

async fn a_password_change_ends_the_other_sessions(store: &dyn Store) {
    let user = new_user(store, "sessions@example.com").await;
    let mut sessions = Vec::new();
    for n in 0..3_u8 {
        let id = TokenId::new();
        let session = NewToken {
            id,
            kind: TokenKind::Session,
            secret_hash: vec![n; 32],
            user_id: user.id,
            workspace_id: None,
            name: "login".to_owned(),
            prefix: "cbs".to_owned(),
            at: now(),
            expires_at: None,
        };
        store.create_token(session, None).await.expect("session");
        sessions.push(id);
    }
    let patch = UserPatch {
        password_hash: Some("$argon2id$new".to_owned()),
        end_sessions: Some(callbase_store::EndSessions { keep: Some(sessions[0]) }),
        ..UserPatch::default()
    };
    store.update_user(user.id, &patch, &audit(None, "user.update", user.id)).await.expect("update");
    let revoked: Vec<bool> =
        futures_util::future::join_all(sessions.iter().map(|id| store.token(*id)))
            .await
            .into_iter()
            .map(|token| token.expect("read").expect("found").revoked_at.is_some())
            .collect();
    assert_eq!(revoked, vec![false, true, true], "all but the one that made the change");
}
