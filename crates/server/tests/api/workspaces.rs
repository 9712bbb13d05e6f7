//! Workspaces, members and their statistics.

use serde_json::json;

use crate::helpers::{TestApp, both_databases, spawn_app_with};

both_databases!(
    create_read_update_delete,
    members_are_added_changed_and_removed,
    the_last_owner_stays,
    stats_count_members_and_tokens,
    strangers_join_only_by_invitation_and_adding_reveals_no_account,
    who_creates_workspaces_is_an_instance_setting,
);

async fn create_read_update_delete(app: TestApp) {
    let reply = app
        .post("/api/v1/workspaces")
        .token(&app.admin)
        .json(&json!({ "name": "Berlin desk", "time_zone": "Europe/Berlin", "region": "de" }))
        .send()
        .await;
    let created = reply.expect(201).clone();
    assert_eq!(created["time_zone"], "Europe/Berlin");
    assert_eq!(created["region"], "DE");
    let id = created["id"].as_str().expect("id");
    let path = format!("/api/v1/workspaces/{id}");
    assert_eq!(app.get(&path).token(&app.admin).send().await.expect(200)["role"], "owner");
    let patched =
        app.patch(&path).token(&app.admin).json(&json!({ "name": "Munich desk" })).send().await;
    let body = patched.expect(200);
    assert_eq!(body["name"], "Munich desk");
    assert_eq!(body["region"], "DE", "fields left out stay");
    let cleared = app.patch(&path).token(&app.admin).json(&json!({ "region": null })).send().await;
    assert!(cleared.expect(200)["region"].is_null());
    let deleted = app.delete(&path).token(&app.admin).send().await;
    assert_eq!(deleted.status.as_u16(), 204);
    app.get(&path).token(&app.admin).send().await.expect_error(404, "workspace_not_found");
    app.delete(&path).token(&app.admin).send().await.expect_error(404, "workspace_not_found");
}

async fn members_are_added_changed_and_removed(app: TestApp) {
    let (user_id, token) = app.user("member@example.com").await;
    let members = format!("/api/v1/workspaces/{}/members", app.default_workspace);
    let added = app
        .post(&members)
        .token(&app.admin)
        .json(&json!({ "email": "member@example.com", "role": "viewer" }))
        .send()
        .await;
    assert_eq!(added.expect(201)["role"], "viewer");
    let again = app
        .post(&members)
        .token(&app.admin)
        .json(&json!({ "user_id": user_id, "role": "agent" }))
        .send()
        .await;
    again.expect_error(409, "already_member");
    let nobody = app
        .post(&members)
        .token(&app.admin)
        .json(&json!({ "email": "ghost@example.com", "role": "agent" }))
        .send()
        .await;
    // An address without an account is invited, as anyone the caller shares no workspace with.
    assert_eq!(nobody.expect(202)["invitation"]["email"], "ghost@example.com");
    let member = format!("{members}/{user_id}");
    let changed =
        app.patch(&member).token(&app.admin).json(&json!({ "role": "admin" })).send().await;
    assert_eq!(changed.expect(200)["role"], "admin");
    // An admin may not make owners.
    let (other, _) = app.user("other@example.com").await;
    app.post(&members)
        .token(&token)
        .header("x-workspace-id", &app.default_workspace)
        .json(&json!({ "user_id": other, "role": "owner" }))
        .send()
        .await
        .expect_error(403, "forbidden");
    let removed = app.delete(&member).token(&app.admin).send().await;
    assert_eq!(removed.status.as_u16(), 204);
    app.delete(&member).token(&app.admin).send().await.expect_error(404, "member_not_found");
}

async fn the_last_owner_stays(app: TestApp) {
    let me = app.get("/api/v1/users/me").token(&app.admin).send().await;
    let admin_id = me.expect(200)["user"]["id"].as_str().expect("id").to_owned();
    let member = format!("/api/v1/workspaces/{}/members/{admin_id}", app.default_workspace);
    app.patch(&member)
        .token(&app.admin)
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .expect_error(409, "last_owner");
    app.delete(&member).token(&app.admin).send().await.expect_error(409, "last_owner");
}

async fn stats_count_members_and_tokens(app: TestApp) {
    app.member(&app.admin, &app.default_workspace, "a@example.com", "agent").await;
    app.api_token(&app.admin, &app.default_workspace).await;
    let call = serde_json::json!({
        "direction": "outbound",
        "started_at": "2026-11-02T10:00:00Z",
        "answered_at": "2026-11-02T10:00:05Z",
        "ended_at": "2026-11-02T10:02:05Z",
    });
    app.post("/api/v1/calls").token(&app.admin).json(&call).send().await.expect(201);
    let stats = app
        .get(&format!("/api/v1/workspaces/{}/stats", app.default_workspace))
        .token(&app.admin)
        .send()
        .await;
    let body = stats.expect(200);
    assert_eq!(body["members"], 2);
    assert_eq!(body["api_tokens"], 1);
    assert!(body["audit_events"].as_u64().is_some_and(|n| n >= 3));
    assert_eq!((body["calls"].as_u64(), body["talk_minutes"].as_u64()), (Some(1), Some(2)));
}

async fn strangers_join_only_by_invitation_and_adding_reveals_no_account(app: TestApp) {
    let (_, owner) = app.user("owner@shop.example").await;
    let shop = app.workspace(&owner, "Shop").await;
    let (stranger_id, stranger) = app.user("stranger@elsewhere.example").await;
    let members = format!("/api/v1/workspaces/{shop}/members");
    let add = |body: serde_json::Value| app.post(&members).token(&owner).json(&body).send();

    // An existing account and an unknown address get the same kind of answer.
    let existing = add(json!({ "email": "stranger@elsewhere.example", "role": "agent" })).await;
    let unknown = add(json!({ "email": "nobody@elsewhere.example", "role": "agent" })).await;
    let existing = existing.expect(202).clone();
    let unknown = unknown.expect(202).clone();
    let keys = |v: &serde_json::Value| {
        v["invitation"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>())
    };
    assert_eq!(keys(&existing), keys(&unknown));
    assert!(!existing.to_string().contains(&stranger_id), "no account details: {existing}");
    // By id, a stranger is as absent as an id nobody has.
    let by_id = add(json!({ "user_id": stranger_id, "role": "agent" })).await;
    let made_up = add(json!({ "user_id": uuid::Uuid::now_v7(), "role": "agent" })).await;
    by_id.expect_error(404, "user_not_found");
    made_up.expect_error(404, "user_not_found");
    assert_eq!(by_id.body, made_up.body);
    let listed = app.get(&members).token(&owner).send().await;
    assert_eq!(listed.expect(200)["data"].as_array().map(Vec::len), Some(1), "nobody was added");

    // Only the invitee sees and accepts it, once.
    let invitation = existing["invitation"]["id"].as_str().expect("id").to_owned();
    let mine = app.get("/api/v1/invitations").token(&stranger).send().await;
    assert_eq!(mine.expect(200)["data"][0]["workspace_name"], "Shop");
    let (_, bystander) = app.user("bystander@elsewhere.example").await;
    let accept = format!("/api/v1/invitations/{invitation}/accept");
    app.post(&accept).token(&bystander).send().await.expect_error(404, "invitation_not_found");
    let joined = app.post(&accept).token(&stranger).send().await;
    assert_eq!(joined.expect(201)["role"], "agent");
    app.post(&accept).token(&stranger).send().await.expect_error(404, "invitation_not_found");
    let listed = app.get(&members).token(&owner).send().await;
    assert_eq!(listed.expect(200)["data"].as_array().map(Vec::len), Some(2));

    // Declined and withdrawn invitations are closed.
    let (_, invitee) = app.user("invitee@elsewhere.example").await;
    let first = add(json!({ "email": "invitee@elsewhere.example", "role": "viewer" })).await;
    let first = first.expect(202)["invitation"]["id"].as_str().expect("id").to_owned();
    app.post(&format!("/api/v1/invitations/{first}/decline")).token(&invitee).send().await;
    let second = add(json!({ "email": "invitee@elsewhere.example", "role": "viewer" })).await;
    let second = second.expect(202)["invitation"]["id"].as_str().expect("id").to_owned();
    let withdraw = format!("/api/v1/workspaces/{shop}/invitations/{second}");
    assert_eq!(app.delete(&withdraw).token(&owner).send().await.status.as_u16(), 204);
    for id in [first, second] {
        app.post(&format!("/api/v1/invitations/{id}/accept"))
            .token(&invitee)
            .send()
            .await
            .expect_error(404, "invitation_not_found");
    }
    let all = app.get(&format!("/api/v1/workspaces/{shop}/invitations")).token(&owner).send().await;
    assert_eq!(all.expect(200)["data"].as_array().map(Vec::len), Some(4));
}

async fn who_creates_workspaces_is_an_instance_setting(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| {
        s.workspace_creation = callbase_server::WorkspaceCreation::Superusers;
    })
    .await;
    let (_, plain) = app.user("plain@example.com").await;
    let body = json!({ "name": "Mine" });
    let refused = app.post("/api/v1/workspaces").token(&plain).json(&body).send().await;
    refused.expect_error(403, "forbidden");
    app.post("/api/v1/workspaces").token(&app.admin).json(&body).send().await.expect(201);
}
