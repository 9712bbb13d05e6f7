//! Logging in and out, sessions by header and cookie, suspended accounts.

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, both_databases};

both_databases!(
    login_answers_token_user_and_workspaces,
    wrong_credentials_are_401_alike,
    the_session_cookie_authenticates,
    logout_ends_the_session,
    missing_or_unknown_tokens_are_401,
    suspended_users_cannot_authenticate,
    a_session_acts_in_the_workspace_it_names,
);

async fn login_answers_token_user_and_workspaces(app: TestApp) {
    let reply = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "ADMIN@example.com", "password": ADMIN_PASSWORD }))
        .send()
        .await;
    let body = reply.expect(200);
    assert!(body["token"].as_str().is_some_and(|t| t.starts_with("cbs_")));
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["user"]["is_superuser"], true);
    assert!(body["user"].get("password_hash").is_none());
    assert_eq!(body["workspaces"][0]["name"], "Default");
    assert_eq!(body["workspaces"][0]["role"], "owner");
    let cookie = reply.header("set-cookie").expect("cookie");
    assert!(cookie.starts_with("callbase_session=cbs_"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

async fn wrong_credentials_are_401_alike(app: TestApp) {
    let wrong_password = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": ADMIN_EMAIL, "password": "not-the-password" }))
        .send()
        .await;
    wrong_password.expect_error(401, "invalid_credentials");
    let unknown = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "nobody@example.com", "password": "not-the-password" }))
        .send()
        .await;
    unknown.expect_error(401, "invalid_credentials");
    assert_eq!(wrong_password.body["error"]["message"], unknown.body["error"]["message"]);
}

async fn the_session_cookie_authenticates(app: TestApp) {
    let reply = app
        .get("/api/v1/users/me")
        .header("cookie", &format!("theme=dark; callbase_session={}", app.admin))
        .send()
        .await;
    assert_eq!(reply.expect(200)["user"]["email"], ADMIN_EMAIL);
}

async fn logout_ends_the_session(app: TestApp) {
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = login["token"].as_str().expect("token");
    let reply = app.post("/api/v1/auth/logout").token(token).send().await;
    assert_eq!(reply.status.as_u16(), 204);
    assert!(reply.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    app.get("/api/v1/users/me").token(token).send().await.expect_error(401, "token_revoked");
    app.get("/api/v1/users/me").token(&app.admin).send().await.expect(200);
}

async fn missing_or_unknown_tokens_are_401(app: TestApp) {
    let reply = app.get("/api/v1/users/me").send().await;
    reply.expect_error(401, "unauthenticated");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    app.get("/api/v1/users/me")
        .token("cbs_forged")
        .send()
        .await
        .expect_error(401, "unauthenticated");
    app.get("/api/v1/users/me")
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .expect_error(401, "unauthenticated");
}

async fn suspended_users_cannot_authenticate(app: TestApp) {
    let (id, token) = app.user("suspend@example.com").await;
    let status = format!("/api/v1/users/{id}/status");
    let reply =
        app.post(&status).token(&app.admin).json(&json!({ "status": "suspended" })).send().await;
    assert_eq!(reply.expect(200)["status"], "suspended");
    app.get("/api/v1/users/me").token(&token).send().await.expect_error(403, "account_suspended");
    let login = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": "suspend@example.com", "password": "password-123" }))
        .send()
        .await;
    login.expect_error(403, "account_suspended");
    app.post(&status)
        .token(&app.admin)
        .json(&json!({ "status": "active" }))
        .send()
        .await
        .expect(200);
    app.get("/api/v1/users/me").token(&token).send().await.expect(200);
    let me = app.get("/api/v1/users/me").token(&app.admin).send().await;
    let admin_id = me.expect(200)["user"]["id"].as_str().expect("id").to_owned();
    app.post(&format!("/api/v1/users/{admin_id}/status"))
        .token(&app.admin)
        .json(&json!({ "status": "suspended" }))
        .send()
        .await
        .expect_error(409, "conflict");
}

async fn a_session_acts_in_the_workspace_it_names(app: TestApp) {
    let second = app.workspace(&app.admin, "Second").await;
    let me = app.get("/api/v1/users/me").token(&app.admin).send().await;
    assert_eq!(me.expect(200)["workspace_id"], app.default_workspace.as_str());
    let me = app
        .get("/api/v1/users/me")
        .token(&app.admin)
        .header("x-workspace-id", &second)
        .send()
        .await;
    let body = me.expect(200);
    assert_eq!(body["workspace_id"], second.as_str());
    assert_eq!(body["role"], "owner");
    assert_eq!(body["workspaces"].as_array().map(Vec::len), Some(2));
}
