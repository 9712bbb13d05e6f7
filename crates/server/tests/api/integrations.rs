//! `/integrations`: created with their secrets sealed (never answered, not readable in the
//! database), validated per kind, renamed, rotated, deleted, audited.

use serde_json::{Value, json};

use crate::helpers::{TestApp, both_databases};

both_databases!(integrations_keep_their_secrets_sealed, integrations_are_validated_per_kind);

const TOKEN: &str = "abcdefabcdefabcdefabcdefabcdef12";

async fn owner(app: &TestApp) -> (String, String) {
    let (_, token) = app.user("owner@integrations.example").await;
    let workspace = app.workspace(&token, "Integrations").await;
    (token, workspace)
}

async fn integrations_keep_their_secrets_sealed(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut call = app.call(method, &path).token(&token).header("x-workspace-id", &ws);
        if let Some(body) = body {
            call = call.json(&body);
        }
        call.send()
    };
    let created = send(
        reqwest::Method::POST,
        "/api/v1/integrations".to_owned(),
        Some(json!({
            "type": "twilio",
            "name": "Twilio EU",
            "config": { "account_sid": "AC0123456789abcdef0123456789abcdef" },
            "secrets": { "auth_token": TOKEN },
        })),
    )
    .await;
    let created = created.expect(201).clone();
    assert_eq!(created["auth_token_set"], true);
    assert_eq!(created.get("secrets"), None, "a given secret is never answered");
    assert!(!created.to_string().contains(TOKEN));
    let id = created["id"].as_str().expect("id").to_owned();
    let stored = app
        .store
        .integration(ws.parse().expect("ws"), id.parse().expect("id"))
        .await
        .expect("read")
        .expect("stored");
    let sealed = String::from_utf8_lossy(&stored.sealed_secrets).into_owned();
    assert!(!sealed.contains(TOKEN), "sealed at rest");
    assert!(!stored.sealed_secrets.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()));

    let listed = send(reqwest::Method::GET, "/api/v1/integrations".to_owned(), None).await;
    let listed = listed.expect(200).clone();
    assert_eq!(listed["data"][0]["id"], json!(id));
    assert!(!listed.to_string().contains(TOKEN));
    let renamed = send(
        reqwest::Method::PATCH,
        format!("/api/v1/integrations/{id}"),
        Some(json!({ "name": "Twilio DE" })),
    )
    .await;
    assert_eq!(renamed.expect(200)["name"], "Twilio DE");
    let rotated = send(
        reqwest::Method::PUT,
        format!("/api/v1/integrations/{id}/secrets"),
        Some(json!({ "secrets": { "auth_token": "0".repeat(32) } })),
    )
    .await;
    assert_eq!(rotated.expect(200)["auth_token_set"], true);
    let after = app
        .store
        .integration(ws.parse().expect("ws"), id.parse().expect("id"))
        .await
        .expect("read")
        .expect("stored");
    assert_ne!(after.sealed_secrets, stored.sealed_secrets, "rotated");
    send(reqwest::Method::DELETE, format!("/api/v1/integrations/{id}"), None).await.expect(204);
    send(reqwest::Method::GET, format!("/api/v1/integrations/{id}"), None)
        .await
        .expect_error(404, "integration_not_found");
    let audit = send(reqwest::Method::GET, "/api/v1/audit".to_owned(), None).await;
    let actions: Vec<String> = audit.expect(200)["data"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect();
    for action in [
        "integration.create",
        "integration.update",
        "integration.rotate_secrets",
        "integration.delete",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    assert!(!audit.text.contains(TOKEN));
}

async fn integrations_are_validated_per_kind(app: TestApp) {
    let (token, ws) = owner(&app).await;
    for (body, field) in [
        (
            json!({ "type": "twilio", "name": "T", "secrets": { "auth_token": TOKEN } }),
            "config.account_sid",
        ),
        (
            json!({ "type": "twilio", "name": "T", "config": { "account_sid": "AC123" }, "secrets": { "auth_token": TOKEN } }),
            "config.account_sid",
        ),
        (
            json!({ "type": "twilio", "name": "T", "config": { "account_sid": "AC0123456789abcdef0123456789abcdef" } }),
            "secrets.auth_token",
        ),
        (json!({ "type": "placetel", "name": "P", "config": { "region": "eu" } }), "config.region"),
        (
            json!({ "type": "recorder", "name": "R", "secrets": { "password": "x" } }),
            "secrets.password",
        ),
        (
            json!({ "type": "recorder", "name": "R", "secrets": { "signing_secret": " padded " } }),
            "secrets.signing_secret",
        ),
        (json!({ "type": "recorder", "name": "  " }), "name"),
    ] {
        let reply = app
            .post("/api/v1/integrations")
            .token(&token)
            .header("x-workspace-id", &ws)
            .json(&body)
            .send()
            .await;
        let error = reply.expect_error(422, "validation_failed");
        assert_eq!(error["error"]["details"]["field"], field, "{body}");
    }
    let reply = app
        .post("/api/v1/integrations")
        .token(&token)
        .header("x-workspace-id", &ws)
        .json(&json!({ "type": "fax", "name": "F" }))
        .send()
        .await;
    reply.expect_error(422, "validation_failed");
}
