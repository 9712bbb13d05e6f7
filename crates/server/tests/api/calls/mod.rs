//! Calls through the API: logging, the lifecycle and timeline, idempotency, the do-not-call
//! list, history filters, export and statistics. Shared helpers live here.

mod blocklist;
mod history;
mod lifecycle;
mod stats;
mod visibility;

use serde_json::Value;

use crate::helpers::TestApp;

/// A workspace owner's session and the workspace id.
pub(super) async fn owner(app: &TestApp) -> (String, String) {
    let (_, token) = app.user("owner@calls.example").await;
    let workspace = app.workspace(&token, "Calls").await;
    (token, workspace)
}

pub(super) async fn log(app: &TestApp, token: &str, workspace: &str, body: Value) -> Value {
    let reply = app
        .post("/api/v1/calls")
        .token(token)
        .header("x-workspace-id", workspace)
        .json(&body)
        .send()
        .await;
    reply.expect(201).clone()
}

pub(super) async fn act(
    app: &TestApp,
    token: &str,
    workspace: &str,
    path: &str,
    body: Value,
) -> crate::helpers::Reply {
    app.post(path).token(token).header("x-workspace-id", workspace).json(&body).send().await
}

pub(super) async fn ids_for(app: &TestApp, token: &str, ws: &str, query: &str) -> Vec<String> {
    let reply = app
        .get(&format!("/api/v1/calls?{query}"))
        .token(token)
        .header("x-workspace-id", ws)
        .send()
        .await;
    let body = reply.expect(200);
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}
