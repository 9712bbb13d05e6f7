//! Workspaces, members and their statistics.

use serde_json::json;

use crate::helpers::{TestApp, both_databases};

both_databases!(
    create_read_update_delete,
    members_are_added_changed_and_removed,
    the_last_owner_stays,
    stats_count_members_and_tokens,
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
