//! Contract cases for share links and invitations.

use callbase_domain::{Email, InvitationId, Role, ShareLinkId, UserStatus, now};
use callbase_store::{Invitation, ShareLink, Store, StoreError, UserPatch};

use super::calls::{logged, sample_call};
use super::{audit, new_user, new_workspace};

fn link(
    recording: &callbase_domain::recording::Recording,
    creator: callbase_domain::UserId,
    lifetime_seconds: i64,
) -> ShareLink {
    let at = now();
    ShareLink {
        id: ShareLinkId::new(),
        workspace_id: recording.workspace_id,
        recording_id: recording.id,
        created_by: creator,
        created_at: at,
        expires_at: at + jiff::SignedDuration::from_secs(lifetime_seconds),
        revoked_at: None,
    }
}

pub(crate) async fn share_links_are_scoped_revocable_and_follow_their_creator(store: &dyn Store) {
    let creator = new_user(store, "sharer@example.com").await;
    let workspace = new_workspace(store, Some(creator.id)).await.id;
    let other = new_workspace(store, None).await.id;
    let call = logged(store, &sample_call(workspace, 1_750_000_000)).await;
    let recording = super::recordings::stored_recording(store, &call).await;
    let shared = link(&recording, creator.id, 600);
    store
        .create_share_link(&shared, &audit(Some(workspace), "recording.share", recording.id))
        .await
        .expect("create");

    let access = store.share_link_access(shared.id).await.expect("read").expect("found");
    assert_eq!(access.link, shared);
    assert_eq!(
        (access.creator_status, access.creator_role),
        (UserStatus::Active, Some(Role::Owner))
    );
    let listed = store.list_share_links(workspace, recording.id).await.expect("list");
    assert_eq!(listed, vec![shared.clone()]);
    assert!(store.list_share_links(other, recording.id).await.expect("list").is_empty());

    // What the link's use depends on is read afresh: the creator's status.
    let suspend = UserPatch { status: Some(UserStatus::Suspended), ..UserPatch::default() };
    store
        .update_user(creator.id, &suspend, &audit(None, "user.suspend", creator.id))
        .await
        .expect("suspend");
    let access = store.share_link_access(shared.id).await.expect("read").expect("found");
    assert_eq!(access.creator_status, UserStatus::Suspended);

    // Revoking from another workspace finds nothing; from its own, it sticks.
    let at = now();
    let entry = audit(Some(other), "recording.share_revoke", recording.id);
    assert!(store.revoke_share_link(other, shared.id, at, &entry).await.expect("revoke").is_none());
    let entry = audit(Some(workspace), "recording.share_revoke", recording.id);
    let revoked = store.revoke_share_link(workspace, shared.id, at, &entry).await.expect("revoke");
    assert_eq!(revoked.expect("found").revoked_at.map(|t| t.as_second()), Some(at.as_second()));

    // The recording's deletion takes its links with it.
    let entry = audit(Some(workspace), "recording.delete", recording.id);
    store.delete_recording(workspace, recording.id, &entry).await.expect("delete");
    assert!(store.share_link_access(shared.id).await.expect("read").is_none());
}

fn invitation(
    workspace: callbase_domain::WorkspaceId,
    email: &str,
    lifetime_seconds: i64,
) -> Invitation {
    let at = now();
    Invitation {
        id: InvitationId::new(),
        workspace_id: workspace,
        workspace_name: String::new(),
        email: Email::parse(email).expect("email"),
        role: Role::Agent,
        invited_by: None,
        created_at: at,
        expires_at: at + jiff::SignedDuration::from_secs(lifetime_seconds),
        accepted_at: None,
        revoked_at: None,
    }
}

pub(crate) async fn invitations_are_accepted_once_and_only_while_open(store: &dyn Store) {
    let workspace = new_workspace(store, None).await;
    let invitee = new_user(store, "invitee@example.com").await;
    let open = invitation(workspace.id, "invitee@example.com", 3600);
    let expired = invitation(workspace.id, "invitee@example.com", -1);
    let withdrawn = invitation(workspace.id, "invitee@example.com", 3600);
    for made in [&open, &expired, &withdrawn] {
        let entry = audit(Some(workspace.id), "member.invite", made.id);
        store.create_invitation(made, &entry).await.expect("invite");
    }
    let entry = audit(Some(workspace.id), "member.invite_withdraw", withdrawn.id);
    assert!(store.revoke_invitation(withdrawn.id, &entry).await.expect("withdraw"));
    assert!(!store.revoke_invitation(withdrawn.id, &entry).await.expect("again"), "once");

    let listed = store.open_invitations_for(&invitee.email, now()).await.expect("list");
    assert_eq!(listed.iter().map(|i| i.id).collect::<Vec<_>>(), vec![open.id]);
    assert_eq!(listed[0].workspace_name, workspace.name.as_str());
    assert_eq!(store.list_workspace_invitations(workspace.id).await.expect("all").len(), 3);

    for closed in [expired.id, withdrawn.id] {
        let entry = audit(Some(workspace.id), "member.join", invitee.id);
        assert!(
            store.accept_invitation(closed, invitee.id, &entry).await.expect("accept").is_none()
        );
    }
    assert_eq!(store.role_in(workspace.id, invitee.id).await.expect("role"), None);
    let entry = audit(Some(workspace.id), "member.join", invitee.id);
    let member = store.accept_invitation(open.id, invitee.id, &entry).await.expect("accept");
    assert_eq!(member.map(|m| m.role), Some(Role::Agent));
    assert!(store.accept_invitation(open.id, invitee.id, &entry).await.expect("again").is_none());
    let accepted = store.invitation(open.id).await.expect("read").expect("found");
    assert!(accepted.accepted_at.is_some());

    // Accepting while already a member fails whole: the invitation stays open.
    let second = invitation(workspace.id, "invitee@example.com", 3600);
    store
        .create_invitation(&second, &audit(Some(workspace.id), "member.invite", second.id))
        .await
        .expect("invite");
    let refused = store.accept_invitation(second.id, invitee.id, &entry).await;
    assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
    let still = store.invitation(second.id).await.expect("read").expect("found");
    assert!(still.accepted_at.is_none(), "nothing half-written");
}
