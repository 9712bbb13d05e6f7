//! API tokens: the secret shown once and stored hashed, scoped, expiring, revocable.

use callbase_domain::{TokenId, from_micros, now, to_micros};
use callbase_store::{NewToken, TokenKind};
use serde_json::json;

use crate::helpers::{TestApp, both_databases};

both_databases!(
    the_secret_is_shown_once_and_stored_hashed,
    a_token_acts_in_its_workspace_and_records_use,
    revoked_tokens_are_refused,
    expired_tokens_are_refused,
    members_see_their_own_tokens_admins_all,
    leaving_a_workspace_revokes_its_tokens,
    an_api_token_mints_no_tokens_and_carries_no_superuser_powers,
);

async fn the_secret_is_shown_once_and_stored_hashed(app: TestApp) {
    let reply =
        app.post("/api/v1/tokens").token(&app.admin).json(&json!({ "name": "ci" })).send().await;
    let created = reply.expect(201).clone();
    let secret = created["secret"].as_str().expect("secret");
    assert!(
        secret.starts_with("cbk_")
            && secret.starts_with(created["prefix"].as_str().expect("prefix"))
    );
    let id = created["id"].as_str().expect("id");
    let shown = app.get(&format!("/api/v1/tokens/{id}")).token(&app.admin).send().await;
    assert!(shown.expect(200).get("secret").is_none());
    assert!(!shown.text.contains(secret));
    let listed = app.get("/api/v1/tokens").token(&app.admin).send().await;
    assert!(!listed.expect(200).to_string().contains(secret));
    // Found by its SHA-256, so the database holds the hash, not the secret.
    let hash = callbase_server::auth::hash_secret(secret);
    let stored = app.store.token_by_secret_hash(&hash).await.expect("lookup").expect("found");
    assert_eq!(stored.id.to_string(), id);
    assert_eq!(hash.len(), 32);
}

async fn a_token_acts_in_its_workspace_and_records_use(app: TestApp) {
    let second = app.workspace(&app.admin, "Second").await;
    let (id, secret) = app.api_token(&app.admin, &second).await;
    let me = app.get("/api/v1/users/me").token(&secret).send().await;
    assert_eq!(me.expect(200)["workspace_id"], second.as_str());
    let listed = app.get("/api/v1/workspaces").token(&secret).send().await;
    let ids: Vec<_> = listed.expect(200)["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|w| w["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(second)]);
    let token = app.get(&format!("/api/v1/tokens/{id}")).token(&secret).send().await;
    assert!(token.expect(200)["last_used_at"].is_string());
    // Another workspace is for a login session to create, not an API token.
    let create =
        app.post("/api/v1/workspaces").token(&secret).json(&json!({ "name": "Nope" })).send().await;
    create.expect_error(403, "session_required");
}

async fn revoked_tokens_are_refused(app: TestApp) {
    let (id, secret) = app.api_token(&app.admin, &app.default_workspace).await;
    app.get("/api/v1/users/me").token(&secret).send().await.expect(200);
    let revoked = app.delete(&format!("/api/v1/tokens/{id}")).token(&app.admin).send().await;
    assert!(revoked.expect(200)["revoked_at"].is_string());
    app.get("/api/v1/users/me").token(&secret).send().await.expect_error(401, "token_revoked");
}

async fn expired_tokens_are_refused(app: TestApp) {
    let me = app.get("/api/v1/users/me").token(&app.admin).send().await;
    let user_id = me.expect(200)["user"]["id"].as_str().expect("id").parse().expect("uuid");
    let generated = callbase_server::auth::generate_secret("cbk");
    let yesterday = from_micros(to_micros(now()) - 86_400_000_000);
    let token = NewToken {
        id: TokenId::new(),
        kind: TokenKind::Api,
        secret_hash: generated.hash,
        user_id,
        workspace_id: Some(app.default_workspace.parse().expect("uuid")),
        name: "old".to_owned(),
        prefix: generated.prefix,
        at: from_micros(to_micros(yesterday) - 1),
        expires_at: Some(yesterday),
    };
    app.store.create_token(token, None).await.expect("create");
    app.get("/api/v1/users/me")
        .token(&generated.secret)
        .send()
        .await
        .expect_error(401, "token_expired");
}

async fn members_see_their_own_tokens_admins_all(app: TestApp) {
    let (_, agent) =
        app.member(&app.admin, &app.default_workspace, "agent@example.com", "agent").await;
    let (agent_token, _) = app.api_token(&agent, &app.default_workspace).await;
    let (admin_token, _) = app.api_token(&app.admin, &app.default_workspace).await;
    let mine = app.get("/api/v1/tokens").token(&agent).send().await;
    assert!(mine.text.contains(&agent_token) && !mine.text.contains(&admin_token), "{}", mine.text);
    let all = app.get("/api/v1/tokens").token(&app.admin).send().await;
    assert!(all.text.contains(&agent_token) && all.text.contains(&admin_token), "{}", all.text);
    app.delete(&format!("/api/v1/tokens/{admin_token}"))
        .token(&agent)
        .send()
        .await
        .expect_error(404, "token_not_found");
    app.delete(&format!("/api/v1/tokens/{agent_token}")).token(&app.admin).send().await.expect(200);
}

async fn leaving_a_workspace_revokes_its_tokens(app: TestApp) {
    let (agent_id, agent) =
        app.member(&app.admin, &app.default_workspace, "leaver@example.com", "agent").await;
    let (_, secret) = app.api_token(&agent, &app.default_workspace).await;
    app.get("/api/v1/users/me").token(&secret).send().await.expect(200);
    let path = format!("/api/v1/workspaces/{}/members/{agent_id}", app.default_workspace);
    let reply = app.delete(&path).token(&agent).send().await;
    assert_eq!(reply.status.as_u16(), 204, "{}", reply.text);
    app.get("/api/v1/users/me").token(&secret).send().await.expect_error(401, "token_revoked");
}

/// A superuser's one-hour token once minted a never-expiring one that survived its parent's
/// revocation, reset another tenant's owner's password and created a superuser.
async fn an_api_token_mints_no_tokens_and_carries_no_superuser_powers(app: TestApp) {
    let (_, secret) = app.api_token(&app.admin, &app.default_workspace).await;
    let (other_id, _) = app.user("other-owner@example.com").await;
    let refused = [
        app.post("/api/v1/tokens").token(&secret).json(&json!({ "name": "child" })).send().await,
        app.get("/api/v1/users?all=true").token(&secret).send().await,
        app.get("/api/v1/audit?instance=true").token(&secret).send().await,
        app.post("/api/v1/users")
            .token(&secret)
            .json(&json!({ "email": "evil@example.com", "name": "E", "password": "password-123", "is_superuser": true }))
            .send()
            .await,
        app.post("/api/v1/workspaces").token(&secret).json(&json!({ "name": "Mine" })).send().await,
    ];
    for reply in refused {
        reply.expect_error(403, "session_required");
    }
    // Without superuser powers, someone of another tenant is not even there.
    let hidden = [
        app.patch(&format!("/api/v1/users/{other_id}"))
            .token(&secret)
            .json(&json!({ "password": "taken-over-1" }))
            .send()
            .await,
        app.post(&format!("/api/v1/users/{other_id}/status"))
            .token(&secret)
            .json(&json!({ "status": "suspended" }))
            .send()
            .await,
    ];
    for reply in hidden {
        reply.expect_error(404, "user_not_found");
    }
    app.login("other-owner@example.com", "password-123").await;
    // What the token's role allows still works: it is the workspace's owner.
    app.get("/api/v1/users").token(&secret).send().await.expect(200);
}
