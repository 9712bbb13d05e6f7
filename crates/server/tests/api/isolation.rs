//! Tenant isolation: a caller of workspace A gets 404 for every resource of workspace B,
//! to read, change or delete, and never sees B's data in a list. New resources join the
//! table with one line.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_databases, path_shape};

both_databases!(
    session_of_a_cannot_reach_b,
    api_token_of_a_cannot_reach_b,
    lists_of_a_never_show_b,
    naming_b_in_the_workspace_header_is_refused,
);

/// The ids of workspace B that A's callers try to reach.
struct Other {
    workspace: String,
    user: String,
    token: String,
    call: String,
    block: String,
    recording: String,
    link: String,
    invitation: String,
    integration: String,
    /// The caller's own workspace, for webhook URLs that name it beside B's integration.
    mine: String,
}

/// `(method, path, body)`; `{ws}`, `{user}` and `{token}` stand for B's ids.
const PROBES: &[(Method, &str, Option<&str>)] = &[
    (Method::GET, "/api/v1/workspaces/{ws}", None),
    (Method::PATCH, "/api/v1/workspaces/{ws}", Some(r#"{"name":"taken over"}"#)),
    (Method::DELETE, "/api/v1/workspaces/{ws}", None),
    (Method::GET, "/api/v1/workspaces/{ws}/stats", None),
    (Method::GET, "/api/v1/workspaces/{ws}/members", None),
    (
        Method::POST,
        "/api/v1/workspaces/{ws}/members",
        Some(r#"{"user_id":"{user}","role":"owner"}"#),
    ),
    (Method::PATCH, "/api/v1/workspaces/{ws}/members/{user}", Some(r#"{"role":"viewer"}"#)),
    (Method::DELETE, "/api/v1/workspaces/{ws}/members/{user}", None),
    (Method::GET, "/api/v1/users/{user}", None),
    (Method::PATCH, "/api/v1/users/{user}", Some(r#"{"name":"renamed"}"#)),
    (Method::POST, "/api/v1/users/{user}/status", Some(r#"{"status":"suspended"}"#)),
    (Method::GET, "/api/v1/tokens/{token}", None),
    (Method::DELETE, "/api/v1/tokens/{token}", None),
    (Method::GET, "/api/v1/calls/{call}", None),
    (Method::PATCH, "/api/v1/calls/{call}", Some(r#"{"notes":"seen"}"#)),
    (Method::DELETE, "/api/v1/calls/{call}", None),
    (Method::POST, "/api/v1/calls/{call}/status", Some(r#"{"status":"in_progress"}"#)),
    (Method::POST, "/api/v1/calls/{call}/end", Some("{}")),
    (Method::POST, "/api/v1/calls/{call}/hold", Some("{}")),
    (Method::POST, "/api/v1/calls/{call}/transfer", Some(r#"{"to_number":"+4989123456"}"#)),
    (Method::POST, "/api/v1/calls/{call}/events", Some(r#"{"type":"note"}"#)),
    (Method::GET, "/api/v1/blocklist/{block}", None),
    (Method::PATCH, "/api/v1/blocklist/{block}", Some(r#"{"reason":null}"#)),
    (Method::DELETE, "/api/v1/blocklist/{block}", None),
    (Method::POST, "/api/v1/calls/{call}/recordings", Some("{}")),
    (Method::POST, "/api/v1/calls/{call}/recordings/start", Some("{}")),
    (Method::POST, "/api/v1/calls/{call}/recordings/stop", Some("{}")),
    (Method::GET, "/api/v1/recordings/{rec}", None),
    (Method::PATCH, "/api/v1/recordings/{rec}", Some(r#"{"notes":"seen"}"#)),
    (Method::DELETE, "/api/v1/recordings/{rec}", None),
    (Method::GET, "/api/v1/recordings/{rec}/media", None),
    (Method::POST, "/api/v1/recordings/{rec}/share", Some("{}")),
    (Method::GET, "/api/v1/recordings/{rec}/shares", None),
    (Method::DELETE, "/api/v1/recordings/{rec}/shares/{link}", None),
    (Method::GET, "/api/v1/workspaces/{ws}/invitations", None),
    (Method::DELETE, "/api/v1/workspaces/{ws}/invitations/{invitation}", None),
    (Method::POST, "/api/v1/invitations/{invitation}/accept", None),
    (Method::POST, "/api/v1/invitations/{invitation}/decline", None),
    (Method::GET, "/api/v1/integrations/{integration}", None),
    (Method::PATCH, "/api/v1/integrations/{integration}", Some(r#"{"name":"taken over"}"#)),
    (
        Method::PUT,
        "/api/v1/integrations/{integration}/secrets",
        Some(r#"{"secrets":{"auth_token":"0123456789abcdef0123456789abcdef"}}"#),
    ),
    (Method::DELETE, "/api/v1/integrations/{integration}", None),
    // A's workspace with B's integration: what a webhook URL guessed across tenants reaches.
    (Method::POST, "/api/v1/webhooks/{mine}/{integration}/twilio/voice", Some("{}")),
    (Method::POST, "/api/v1/webhooks/{mine}/{integration}/twilio/recording", Some("{}")),
    (Method::POST, "/api/v1/webhooks/{mine}/{integration}/placetel", Some("{}")),
    (Method::POST, "/api/v1/webhooks/{mine}/{integration}/sip", Some("{}")),
    (Method::POST, "/api/v1/webhooks/{mine}/{integration}/recorder", Some("{}")),
    (Method::POST, "/api/v1/recordings/{rec}/fetch", Some("{}")),
    (Method::POST, "/api/v1/recordings/{rec}/transcribe", Some("{}")),
    (Method::GET, "/api/v1/recordings/{rec}/transcript", None),
    (
        Method::PUT,
        "/api/v1/recordings/{rec}/transcript",
        Some(r#"{"segments":[{"start_ms":0,"end_ms":5,"text":"overwritten"}]}"#),
    ),
];

async fn setup(app: &TestApp) -> (String, String, Other) {
    let (_, alice) = app.user("alice@a.example").await;
    let workspace_a = app.workspace(&alice, "A").await;
    let (bob_id, bob) = app.user("bob@b.example").await;
    let workspace_b = app.workspace(&bob, "B").await;
    let (token_b, _) = app.api_token(&bob, &workspace_b).await;
    let in_b = |call: crate::helpers::Call| call.token(&bob).header("x-workspace-id", &workspace_b);
    let call = in_b(app.post("/api/v1/calls"))
        .json(&json!({ "direction": "inbound", "from_number": "+49301234567", "notes": "secret" }))
        .send()
        .await;
    let call = call.expect(201)["id"].as_str().expect("id").to_owned();
    let block =
        in_b(app.post("/api/v1/blocklist")).json(&json!({ "pattern": "+4930999999" })).send();
    let block = block.await.expect(201)["id"].as_str().expect("id").to_owned();
    let recording = in_b(app.post(&format!("/api/v1/calls/{call}/recordings")))
        .body("audio/wav", crate::helpers::wav_bytes(500))
        .send()
        .await;
    let recording = recording.expect(201)["id"].as_str().expect("id").to_owned();
    let transcript =
        json!({ "segments": [{ "start_ms": 0, "end_ms": 400, "text": "secret plans" }] });
    in_b(app.put(&format!("/api/v1/recordings/{recording}/transcript")))
        .json(&transcript)
        .send()
        .await
        .expect(200);
    let link = in_b(app.post(&format!("/api/v1/recordings/{recording}/share"))).send().await;
    let link = link.expect(201)["id"].as_str().expect("id").to_owned();
    let invited = in_b(app.post(&format!("/api/v1/workspaces/{workspace_b}/members")))
        .json(&json!({ "email": "carol@b.example", "role": "agent" }))
        .send()
        .await;
    let invitation = invited.expect(202)["invitation"]["id"].as_str().expect("id").to_owned();
    let integration = in_b(app.post("/api/v1/integrations"))
        .json(&json!({
            "type": "twilio",
            "name": "B's Twilio",
            "config": { "account_sid": "AC0123456789abcdef0123456789abcdef" },
            "secrets": { "auth_token": "fedcba9876543210fedcba9876543210" },
        }))
        .send()
        .await;
    let integration = integration.expect(201)["id"].as_str().expect("id").to_owned();
    let other = Other {
        workspace: workspace_b,
        user: bob_id,
        token: token_b,
        call,
        block,
        recording,
        link,
        invitation,
        integration,
        mine: workspace_a.clone(),
    };
    (alice, workspace_a, other)
}

fn fill(template: &str, other: &Other) -> String {
    template
        .replace("{ws}", &other.workspace)
        .replace("{user}", &other.user)
        .replace("{token}", &other.token)
        .replace("{call}", &other.call)
        .replace("{block}", &other.block)
        .replace("{rec}", &other.recording)
        .replace("{link}", &other.link)
        .replace("{invitation}", &other.invitation)
        .replace("{integration}", &other.integration)
        .replace("{mine}", &other.mine)
}

async fn probe_all(app: &TestApp, token: &str, other: &Other) {
    for (method, path, body) in PROBES {
        let path = fill(path, other);
        let mut call = app.call(method.clone(), &path).token(token);
        if let Some(body) = body {
            let body: Value = serde_json::from_str(&fill(body, other)).expect("probe body");
            call = call.json(&body);
        }
        let reply = call.send().await;
        assert_eq!(reply.status.as_u16(), 404, "{method} {path} answered {}", reply.text);
        reply.expect(404);
    }
}

/// B is exactly as it was.
async fn assert_untouched(app: &TestApp, other: &Other) {
    let workspace = app.store.workspace(other.workspace.parse().expect("id")).await.expect("get");
    assert_eq!(workspace.expect("B still exists").name.as_str(), "B");
    let role =
        app.store.role_in(other.workspace.parse().expect("id"), other.user.parse().expect("id"));
    assert_eq!(role.await.expect("role"), Some(callbase_domain::Role::Owner));
    let token = app.store.token(other.token.parse().expect("id")).await.expect("token");
    assert!(token.expect("exists").revoked_at.is_none());
    let user =
        app.store.user(other.user.parse().expect("id")).await.expect("user").expect("exists");
    assert_eq!(user.name.as_str(), "bob@b.example");
    assert_eq!(user.status, callbase_domain::UserStatus::Active);
    let workspace = other.workspace.parse().expect("id");
    let call = app.store.call(workspace, other.call.parse().expect("id")).await.expect("call");
    let call = call.expect("B's call still exists");
    assert_eq!((call.status.as_str(), call.notes.as_deref()), ("ringing", Some("secret")));
    let timeline = app.store.call_events(workspace, call.id).await.expect("timeline");
    assert_eq!(timeline.len(), 1, "nothing was appended");
    let block = app.store.block(workspace, other.block.parse().expect("id")).await.expect("block");
    assert!(block.is_some_and(|b| b.reason.is_none()));
    let recording_id = other.recording.parse().expect("id");
    let recording = app.store.recording(workspace, recording_id).await.expect("recording");
    let recording = recording.expect("B's recording still exists");
    assert_eq!((recording.notes, recording.media.is_some()), (None, true));
    let transcript = app.store.transcript(workspace, recording_id).await.expect("transcript");
    assert_eq!(transcript.expect("kept").segments[0].text, "secret plans");
    assert_eq!(
        app.store.call(workspace, call.id).await.expect("call").map(|c| c.has_recording),
        Some(true)
    );
    let link = app.store.share_link_access(other.link.parse().expect("id")).await.expect("link");
    assert!(link.expect("kept").link.revoked_at.is_none(), "B's share link still works");
    let invitation = app.store.invitation(other.invitation.parse().expect("id")).await;
    let invitation = invitation.expect("invitation").expect("kept");
    assert!(invitation.accepted_at.is_none() && invitation.revoked_at.is_none());
    let integration = app.store.integration(workspace, other.integration.parse().expect("id"));
    let integration = integration.await.expect("integration").expect("B's integration kept");
    assert_eq!(integration.name.as_str(), "B's Twilio");
    assert_eq!(integration.signature_failures, 0);
}

/// Every route with an id in the OpenAPI document is probed above, or is named here with why
/// it needs no probe.
const NOT_WORKSPACE_DATA: &[&str] = &[
    // The caller's own account and sessions; other users are in the table.
    "/api/v1/users/me",
];

#[test]
fn every_route_with_an_id_is_probed() {
    let document: Value =
        serde_json::from_str(include_str!("../../../../openapi.json")).expect("json");
    let probed: Vec<String> = PROBES.iter().map(|(_, path, _)| path_shape(path)).collect();
    for path in document["paths"].as_object().expect("paths").keys() {
        if path.contains('{') && !NOT_WORKSPACE_DATA.contains(&path.as_str()) {
            assert!(probed.contains(&path_shape(path)), "{path} has no row in the isolation table");
        }
    }
}

async fn session_of_a_cannot_reach_b(app: TestApp) {
    let (alice, _, other) = setup(&app).await;
    probe_all(&app, &alice, &other).await;
    assert_untouched(&app, &other).await;
}

async fn api_token_of_a_cannot_reach_b(app: TestApp) {
    let (alice, workspace_a, other) = setup(&app).await;
    let (_, secret) = app.api_token(&alice, &workspace_a).await;
    probe_all(&app, &secret, &other).await;
    assert_untouched(&app, &other).await;
}

async fn lists_of_a_never_show_b(app: TestApp) {
    let (alice, workspace_a, other) = setup(&app).await;
    let (_, secret) = app.api_token(&alice, &workspace_a).await;
    for token in [&alice, &secret] {
        for path in [
            "/api/v1/workspaces",
            "/api/v1/users",
            "/api/v1/tokens",
            "/api/v1/audit",
            "/api/v1/calls",
            "/api/v1/calls?number=4567",
            "/api/v1/calls/export?format=ndjson",
            "/api/v1/blocklist",
            "/api/v1/recordings",
            "/api/v1/search?q=secret",
            "/api/v1/calls?q=secret",
            "/api/v1/integrations",
        ] {
            let reply = app.get(path).token(token).send().await;
            assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
            for id in [
                &other.workspace,
                &other.user,
                &other.token,
                &other.integration,
                &other.call,
                &other.block,
                &other.recording,
            ] {
                assert!(!reply.text.contains(id.as_str()), "{path} leaked {id}: {}", reply.text);
            }
        }
    }
}

async fn naming_b_in_the_workspace_header_is_refused(app: TestApp) {
    let (alice, _, other) = setup(&app).await;
    let reply = app
        .get("/api/v1/users")
        .token(&alice)
        .header("x-workspace-id", &other.workspace)
        .send()
        .await;
    reply.expect_error(404, "workspace_not_found");
    let reply = app
        .post("/api/v1/tokens")
        .token(&alice)
        .header("x-workspace-id", &other.workspace)
        .json(&json!({ "name": "sneaky" }))
        .send()
        .await;
    reply.expect_error(404, "workspace_not_found");
    let stats = app.get("/api/v1/calls/stats").token(&alice).send().await;
    assert_eq!(stats.expect(200)["totals"]["calls"], 0, "A's statistics do not count B's calls");
}
