//! Roles: what each role may do in its workspace. Each probe names the least role that may
//! do it; every lesser role gets 403. New resources join the table with one line.

use callbase_domain::Role;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, both_databases};

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
    (Method::POST, "/api/v1/calls/{call}/end", Some("{}"), Role::Agent),
    (Method::POST, "/api/v1/blocklist", Some(r#"{"pattern":"+4930111111"}"#), Role::Agent),
    (Method::POST, "/api/v1/calls/{call}/recordings/start", Some("{}"), Role::Agent),
    (Method::PATCH, "/api/v1/recordings/{rec}", Some(r#"{"notes":"heard"}"#), Role::Agent),
    (
        Method::PUT,
        "/api/v1/recordings/{rec}/transcript",
        Some(r#"{"segments":[{"start_ms":0,"end_ms":5,"text":"hello"}]}"#),
        Role::Agent,
    ),
    // Not the uploader (the owner uploaded it): admins and owners only.
    (Method::DELETE, "/api/v1/recordings/{rec}", None, Role::Admin),
    (Method::DELETE, "/api/v1/calls/{call}", None, Role::Admin),
];

struct Team {
    workspace: String,
    /// Session tokens by role.
    tokens: Vec<(Role, String)>,
    target: String,
    call: String,
    recording: String,
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
    let call = app
        .post("/api/v1/calls")
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .json(&serde_json::json!({ "direction": "inbound" }))
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
    Team { workspace, tokens, target, call, recording }
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
        .replace("{rec}", &team.recording);
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
