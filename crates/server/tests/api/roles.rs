//! Roles: what each role may do in its workspace. Each probe names the least role that may
//! do it; every lesser role gets 403. New resources join the table with one line.

use callbase_domain::Role;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, both_databases, path_shape};

both_databases!(lesser_roles_are_forbidden, viewer_can_still_read, sufficient_roles_are_allowed);

/// `(method, path, body, least role)`; `{ws}` is the workspace, `{target}` a member to act on.
const PROBES: &[(Method, &str, Option<&str>, Role)] = &[
    (Method::PATCH, "/api/v1/workspaces/{ws}", Some(r#"{"name":"renamed"}"#), Role::Admin),
    (Method::DELETE, "/api/v1/workspaces/{ws}", None, Role::Owner),
    (
        Method::POST,
        "/api/v1/workspaces/{ws}/members",
        Some(r#"{"email":"admin@example.com","role":"agent"}"#),
        Role::Admin,
    ),
    (
        Method::PATCH,
        "/api/v1/workspaces/{ws}/members/{target}",
        Some(r#"{"role":"viewer"}"#),
        Role::Admin,
    ),
    (Method::DELETE, "/api/v1/workspaces/{ws}/members/{target}", None, Role::Admin),
    (
        Method::POST,
        "/api/v1/users",
        Some(r#"{"email":"new@x.example","name":"New","password":"password-123"}"#),
        Role::Admin,
    ),
    (Method::GET, "/api/v1/audit", None, Role::Admin),
    (Method::POST, "/api/v1/calls", Some(r#"{"direction":"inbound"}"#), Role::Agent),
    (Method::POST, "/api/v1/calls/outbound", Some(r#"{"to_number":"+4989123456"}"#), Role::Agent),
    (Method::PATCH, "/api/v1/calls/{call}", Some(r#"{"notes":"called back"}"#), Role::Agent),
    (Method::POST, "/api/v1/calls/{call}/events", Some(r#"{"type":"note"}"#), Role::Agent),
    (Method::POST, "/api/v1/calls/{call}/status", Some(r#"{"status":"in_progress"}"#), Role::Agent),
    (Method::POST, "/api/v1/calls/{call}/hold", Some("{}"), Role::Agent),
    (
        Method::POST,
        "/api/v1/calls/{call}/transfer",
        Some(r#"{"to_number":"+4989123456"}"#),
        Role::Agent,
    ),
    (Method::POST, "/api/v1/calls/{call}/end", Some("{}"), Role::Agent),
    (Method::POST, "/api/v1/blocklist", Some(r#"{"pattern":"+4930111111"}"#), Role::Agent),
    (Method::PATCH, "/api/v1/blocklist/{block}", Some(r#"{"reason":"asked twice"}"#), Role::Agent),
    (Method::DELETE, "/api/v1/blocklist/{block}", None, Role::Agent),
    (Method::POST, "/api/v1/calls/{call}/recordings/start", Some("{}"), Role::Agent),
    (Method::PATCH, "/api/v1/recordings/{rec}", Some(r#"{"notes":"heard"}"#), Role::Agent),
    (
        Method::PUT,
        "/api/v1/recordings/{rec}/transcript",
        Some(r#"{"segments":[{"start_ms":0,"end_ms":5,"text":"hello"}]}"#),
        Role::Agent,
    ),
    (Method::POST, "/api/v1/recordings/{rec}/share", Some("{}"), Role::Agent),
    (Method::GET, "/api/v1/recordings/{rec}/shares", None, Role::Agent),
    // Not its creator (the owner made it): admins and owners only.
    (Method::DELETE, "/api/v1/recordings/{rec}/shares/{link}", None, Role::Admin),
    // Not the uploader (the owner uploaded it): admins and owners only.
    (Method::DELETE, "/api/v1/recordings/{rec}", None, Role::Admin),
    (Method::GET, "/api/v1/workspaces/{ws}/invitations", None, Role::Admin),
    (Method::DELETE, "/api/v1/workspaces/{ws}/invitations/{invitation}", None, Role::Admin),
    (Method::GET, "/api/v1/integrations", None, Role::Admin),
    (
        Method::POST,
        "/api/v1/integrations",
        Some(r#"{"type":"recorder","name":"Recorder"}"#),
        Role::Admin,
    ),
    (Method::GET, "/api/v1/integrations/{integration}", None, Role::Admin),
    (
        Method::PATCH,
        "/api/v1/integrations/{integration}",
        Some(r#"{"name":"Renamed"}"#),
        Role::Admin,
    ),
    (
        Method::PUT,
        "/api/v1/integrations/{integration}/secrets",
        Some(r#"{"secrets":{"auth_token":"0123456789abcdef0123456789abcdef"}}"#),
        Role::Admin,
    ),
    (Method::DELETE, "/api/v1/integrations/{integration}", None, Role::Admin),
    (Method::DELETE, "/api/v1/calls/{call}", None, Role::Admin),
];

/// Changes on routes with an id that no role decides, with why: each is either the caller's
/// own (account, token, invitation) or decided by something other than the role.
const NOT_ROLE_GATED: &[(&str, &str)] = &[
    // Yourself, or a superuser at a login session (users.rs, tokens.rs).
    ("PATCH", "/api/v1/users/{id}"),
    ("POST", "/api/v1/users/{id}/status"),
    // Your own tokens; admins any of the workspace's (tokens.rs).
    ("DELETE", "/api/v1/tokens/{id}"),
    // The invitee alone (workspaces.rs).
    ("POST", "/api/v1/invitations/{id}/accept"),
    ("POST", "/api/v1/invitations/{id}/decline"),
    // Writers, like the other recording changes above, but each needs a body or a state a
    // generic probe cannot give; recordings::access holds uploads to the roles.
    ("POST", "/api/v1/calls/{id}/recordings"),
    ("POST", "/api/v1/calls/{id}/recordings/stop"),
    ("POST", "/api/v1/recordings/{id}/fetch"),
    ("POST", "/api/v1/recordings/{id}/transcribe"),
    // Providers' webhooks: no member calls them; the provider's signature decides (ingest/).
    ("POST", "/api/v1/webhooks/{workspace_id}/{integration_id}/twilio/voice"),
    ("POST", "/api/v1/webhooks/{workspace_id}/{integration_id}/twilio/recording"),
    ("POST", "/api/v1/webhooks/{workspace_id}/{integration_id}/placetel"),
    ("POST", "/api/v1/webhooks/{workspace_id}/{integration_id}/sip"),
    ("POST", "/api/v1/webhooks/{workspace_id}/{integration_id}/recorder"),
];

#[test]
fn every_change_on_a_route_with_an_id_has_a_role() {
    let document: Value =
        serde_json::from_str(include_str!("../../../../openapi.json")).expect("json");
    let covered: Vec<(String, String)> = PROBES
        .iter()
        .map(|(method, path, _, _)| (method.as_str().to_owned(), path_shape(path)))
        .chain(NOT_ROLE_GATED.iter().map(|(method, path)| ((*method).to_owned(), path_shape(path))))
        .collect();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        for method in item.as_object().expect("item").keys() {
            let method = method.to_ascii_uppercase();
            if method == "GET" {
                continue;
            }
            assert!(
                covered.contains(&(method.clone(), path_shape(path))),
                "{method} {path} has no row in the roles table"
            );
        }
    }
}

struct Team {
    workspace: String,
    /// Session tokens by role.
    tokens: Vec<(Role, String)>,
    target: String,
    call: String,
    recording: String,
    link: String,
    invitation: String,
    block: String,
    integration: String,
}

async fn team(app: &TestApp) -> Team {
    let (_, owner) = app.user("owner@t.example").await;
    let workspace = app.workspace(&owner, "Team").await;
    let mut tokens = vec![(Role::Owner, owner.clone())];
    for role in [Role::Admin, Role::Agent, Role::Viewer] {
        let (_, token) =
            app.member(&owner, &workspace, &format!("{role}@t.example"), role.as_str()).await;
        tokens.push((role, token));
    }
    let (target, _) = app.member(&owner, &workspace, "target@t.example", "agent").await;
    let me = app.get("/api/v1/users/me").token(&tokens[2].1).send().await;
    let agent = me.expect(200)["user"]["id"].as_str().expect("id").to_owned();
    // Assigned to the agent: an agent changes only the calls assigned to them.
    let call = app
        .post("/api/v1/calls")
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .json(&serde_json::json!({ "direction": "inbound", "user_id": agent }))
        .send()
        .await;
    let call = call.expect(201)["id"].as_str().expect("id").to_owned();
    let recording = app
        .post(&format!("/api/v1/calls/{call}/recordings"))
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .body("audio/wav", crate::helpers::wav_bytes(300))
        .send()
        .await;
    let recording = recording.expect(201)["id"].as_str().expect("id").to_owned();
    let link = app
        .post(&format!("/api/v1/recordings/{recording}/share"))
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .send()
        .await;
    let link = link.expect(201)["id"].as_str().expect("id").to_owned();
    let invited = app
        .post(&format!("/api/v1/workspaces/{workspace}/members"))
        .token(&owner)
        .json(&serde_json::json!({ "email": "later@t.example", "role": "viewer" }))
        .send()
        .await;
    let invitation = invited.expect(202)["invitation"]["id"].as_str().expect("id").to_owned();
    let block = app
        .post("/api/v1/blocklist")
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .json(&serde_json::json!({ "pattern": "+4930222222" }))
        .send()
        .await;
    let block = block.expect(201)["id"].as_str().expect("id").to_owned();
    let integration = app
        .post("/api/v1/integrations")
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .json(&serde_json::json!({
            "type": "twilio",
            "name": "Twilio",
            "config": { "account_sid": "AC0123456789abcdef0123456789abcdef" },
            "secrets": { "auth_token": "fedcba9876543210fedcba9876543210" },
        }))
        .send()
        .await;
    let integration = integration.expect(201)["id"].as_str().expect("id").to_owned();
    Team { workspace, tokens, target, call, recording, link, invitation, block, integration }
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Owner => 3,
        Role::Admin => 2,
        Role::Agent => 1,
        Role::Viewer => 0,
    }
}

async fn send(
    app: &TestApp,
    team: &Team,
    token: &str,
    probe: &(Method, &str, Option<&str>, Role),
) -> crate::helpers::Reply {
    let (method, path, body, _) = probe;
    let path = path
        .replace("{ws}", &team.workspace)
        .replace("{target}", &team.target)
        .replace("{call}", &team.call)
        .replace("{rec}", &team.recording)
        .replace("{link}", &team.link)
        .replace("{invitation}", &team.invitation)
        .replace("{block}", &team.block)
        .replace("{integration}", &team.integration);
    let mut call =
        app.call(method.clone(), &path).token(token).header("x-workspace-id", &team.workspace);
    if let Some(body) = body {
        let body: Value = serde_json::from_str(body).expect("probe body");
        call = call.json(&body);
    }
    call.send().await
}

async fn lesser_roles_are_forbidden(app: TestApp) {
    let team = team(&app).await;
    for probe in PROBES {
        for (role, token) in &team.tokens {
            if rank(*role) < rank(probe.3) {
                let reply = send(&app, &team, token, probe).await;
                assert_eq!(
                    reply.status.as_u16(),
                    403,
                    "{role} {} {}: {}",
                    probe.0,
                    probe.1,
                    reply.text
                );
                reply.expect_error(403, "forbidden");
            }
        }
    }
    let members = app
        .get(&format!("/api/v1/workspaces/{}/members", team.workspace))
        .token(&team.tokens[0].1)
        .send()
        .await;
    assert_eq!(
        members.expect(200)["data"].as_array().map(Vec::len),
        Some(5),
        "nothing was changed"
    );
}

async fn viewer_can_still_read(app: TestApp) {
    let team = team(&app).await;
    let viewer = &team.tokens[3].1;
    for path in [
        format!("/api/v1/workspaces/{}", team.workspace),
        format!("/api/v1/workspaces/{}/members", team.workspace),
        format!("/api/v1/workspaces/{}/stats", team.workspace),
        "/api/v1/users".to_owned(),
        "/api/v1/users/me".to_owned(),
        "/api/v1/calls".to_owned(),
        format!("/api/v1/calls/{}", team.call),
        "/api/v1/calls/stats".to_owned(),
        "/api/v1/calls/export".to_owned(),
        "/api/v1/blocklist".to_owned(),
        "/api/v1/recordings".to_owned(),
        format!("/api/v1/recordings/{}", team.recording),
        format!("/api/v1/recordings/{}/media", team.recording),
        "/api/v1/search?q=hello".to_owned(),
    ] {
        let reply = app.get(&path).token(viewer).header("x-workspace-id", &team.workspace).send();
        let reply = reply.await;
        assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
    }
}

async fn sufficient_roles_are_allowed(app: TestApp) {
    let team = team(&app).await;
    // The least role of each probe may do it; deleting the workspace goes last.
    let (last, rest): (Vec<_>, Vec<_>) =
        PROBES.iter().partition(|probe| probe.0 == Method::DELETE && probe.1.ends_with("{ws}"));
    for probe in rest.into_iter().chain(last) {
        let token = &team.tokens.iter().find(|(role, _)| *role == probe.3).expect("role").1;
        let reply = send(&app, &team, token, probe).await;
        assert!(reply.status.is_success(), "{} {} {}: {}", probe.3, probe.0, probe.1, reply.text);
    }
    let gone = app
        .get(&format!("/api/v1/workspaces/{}", team.workspace))
        .token(&team.tokens[0].1)
        .send()
        .await;
    gone.expect_error(404, "workspace_not_found");
}
