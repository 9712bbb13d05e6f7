//! The audit log: every mutation with actor, action, target, time and client address.

use serde_json::json;

use crate::helpers::{TestApp, both_databases};

both_databases!(mutations_are_audited_with_actor_and_address, instance_events_are_for_superusers);

async fn mutations_are_audited_with_actor_and_address(app: TestApp) {
    let me = app.get("/api/v1/users/me").token(&app.admin).send().await;
    let admin_id = me.expect(200)["user"]["id"].clone();
    let path = format!("/api/v1/workspaces/{}", app.default_workspace);
    app.patch(&path)
        .token(&app.admin)
        .header("x-request-id", "req-audit-1")
        .json(&json!({ "name": "Renamed" }))
        .send()
        .await
        .expect(200);
    let (member_id, _) =
        app.member(&app.admin, &app.default_workspace, "m@example.com", "agent").await;
    let (token_id, _) = app.api_token(&app.admin, &app.default_workspace).await;
    app.delete(&format!("/api/v1/tokens/{token_id}")).token(&app.admin).send().await.expect(200);

    let log = app.get("/api/v1/audit?limit=100").token(&app.admin).send().await;
    let entries = log.expect(200)["data"].as_array().expect("data").clone();
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .cloned()
            .unwrap_or_else(|| panic!("no {action} in {entries:?}"))
    };
    let update = find("workspace.update");
    assert_eq!(update["actor_user_id"], admin_id);
    assert_eq!(update["target_id"], app.default_workspace.as_str());
    assert_eq!(update["client_addr"], "127.0.0.1");
    assert_eq!(update["request_id"], "req-audit-1");
    assert_eq!(update["details"]["name"], "Renamed");
    assert!(update["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert_eq!(find("member.add")["target_id"], member_id.as_str());
    assert_eq!(find("token.create")["target_id"], token_id.as_str());
    assert_eq!(find("token.revoke")["target_id"], token_id.as_str());
    let filtered = app.get("/api/v1/audit?action=token.revoke").token(&app.admin).send().await;
    assert_eq!(filtered.expect(200)["data"].as_array().map(Vec::len), Some(1));
}

async fn instance_events_are_for_superusers(app: TestApp) {
    let (_, plain) = app.user("plain@example.com").await;
    let log = app.get("/api/v1/audit?instance=true").token(&app.admin).send().await;
    let entries = log.expect(200)["data"].as_array().expect("data").clone();
    assert!(entries.iter().any(|e| e["action"] == "user.create"), "{entries:?}");
    assert!(entries.iter().any(|e| e["action"] == "auth.login"), "{entries:?}");
    assert!(entries.iter().all(|e| e["workspace_id"].is_null()));
    app.get("/api/v1/audit?instance=true")
        .token(&plain)
        .send()
        .await
        .expect_error(403, "forbidden");
}
