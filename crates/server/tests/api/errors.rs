//! One error model: bad input of every kind answers 4xx in our shape, naming what is wrong.

use serde_json::json;

use crate::helpers::{TestApp, both_databases, spawn_app_with};

both_databases!(
    malformed_json_is_400,
    wrong_types_and_unknown_values_are_422_naming_the_field,
    wrong_content_type_is_415,
    bad_uuid_in_path_is_400_naming_the_parameter,
    bad_query_parameters_are_400_naming_the_parameter,
    unknown_routes_and_methods_answer_json,
    bad_workspace_header_is_400,
);

async fn malformed_json_is_400(app: TestApp) {
    for body in ["{", "not json", "{\"name\": }", ""] {
        let reply = app
            .post("/api/v1/workspaces")
            .token(&app.admin)
            .body("application/json", body)
            .send()
            .await;
        reply.expect_error(400, "malformed_json");
    }
}

async fn wrong_types_and_unknown_values_are_422_naming_the_field(app: TestApp) {
    let cases = [
        ("/api/v1/workspaces", json!({ "name": 42 }), "name"),
        ("/api/v1/workspaces", json!({ "name": "   " }), "name"),
        ("/api/v1/workspaces", json!({ "name": "X", "time_zone": "Mars/Base" }), "time_zone"),
        ("/api/v1/workspaces", json!({ "name": "X", "region": "Germany" }), "region"),
        ("/api/v1/workspaces", json!({}), "body"),
        ("/api/v1/workspaces", json!({ "name": "X", "colour": "red" }), "body"),
        (
            "/api/v1/users",
            json!({ "email": "nope", "name": "N", "password": "password-1" }),
            "email",
        ),
        (
            "/api/v1/users",
            json!({ "email": "a@b.c", "name": "N", "password": "short" }),
            "password",
        ),
        (
            "/api/v1/users",
            json!({ "email": "a@b.c", "name": "N", "password": "password-1", "role": "emperor" }),
            "role",
        ),
        ("/api/v1/tokens", json!({ "name": "t", "expires_at": "yesterday" }), "expires_at"),
    ];
    for (path, body, field) in cases {
        let reply = app.post(path).token(&app.admin).json(&body).send().await;
        reply.expect_error(422, "validation_failed");
        if field != "body" {
            assert_eq!(reply.body["error"]["details"]["field"], field, "{body}: {}", reply.text);
        }
    }
    let members = format!("/api/v1/workspaces/{}/members", app.default_workspace);
    let reply = app.post(&members).token(&app.admin).json(&json!({ "role": "agent" })).send().await;
    reply.expect_error(422, "validation_failed");
}

async fn wrong_content_type_is_415(app: TestApp) {
    let reply = app
        .post("/api/v1/workspaces")
        .token(&app.admin)
        .body("text/plain", r#"{"name":"X"}"#)
        .send()
        .await;
    reply.expect_error(415, "unsupported_media_type");
}

async fn bad_uuid_in_path_is_400_naming_the_parameter(app: TestApp) {
    for path in ["/api/v1/users/42", "/api/v1/workspaces/not-a-uuid", "/api/v1/tokens/zzz"] {
        let reply = app.get(path).token(&app.admin).send().await;
        reply.expect_error(400, "invalid_path");
        assert_eq!(reply.body["error"]["details"]["parameter"], "id", "{}", reply.text);
    }
    let reply = app
        .patch(&format!("/api/v1/workspaces/{}/members/nope", app.default_workspace))
        .token(&app.admin)
        .json(&json!({ "role": "agent" }))
        .send()
        .await;
    reply.expect_error(400, "invalid_path");
    assert_eq!(reply.body["error"]["details"]["parameter"], "user_id", "{}", reply.text);
    let reply = app.delete("/api/v1/workspaces/zzz/members/zzz").token(&app.admin).send().await;
    reply.expect_error(400, "invalid_path");
    assert_eq!(reply.body["error"]["details"]["parameter"], "id", "{}", reply.text);
}

async fn bad_query_parameters_are_400_naming_the_parameter(app: TestApp) {
    for (query, parameter) in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("sort=sideways", "sort"),
        ("cursor=garbage", "cursor"),
        ("cursor=%20", "cursor"),
        ("cursor=eyJhZnRlciI6MX0", "cursor"),
        ("status=sleeping", "status"),
        ("all=maybe", "all"),
    ] {
        let reply = app.get(&format!("/api/v1/users?{query}")).token(&app.admin).send().await;
        assert_eq!(reply.status.as_u16(), 400, "{query}: {}", reply.text);
        reply.expect(400);
        assert_eq!(
            reply.body["error"]["details"]["parameter"], parameter,
            "{query}: {}",
            reply.text
        );
    }
}

async fn unknown_routes_and_methods_answer_json(app: TestApp) {
    app.get("/api/v1/nothing-here")
        .token(&app.admin)
        .send()
        .await
        .expect_error(404, "route_not_found");
    app.get("/nothing").send().await.expect_error(404, "route_not_found");
    app.delete("/api/v1/users/me")
        .token(&app.admin)
        .send()
        .await
        .expect_error(405, "method_not_allowed");
    app.delete("/healthz").send().await.expect_error(405, "method_not_allowed");
}

async fn bad_workspace_header_is_400(app: TestApp) {
    let reply =
        app.get("/api/v1/users").token(&app.admin).header("x-workspace-id", "nope").send().await;
    reply.expect_error(400, "invalid_header");
}

#[tokio::test]
async fn oversized_bodies_are_413_sqlite() {
    oversized_bodies_are_413(callbase_store::Backend::Sqlite).await;
}

#[tokio::test]
async fn oversized_bodies_are_413_postgres() {
    oversized_bodies_are_413(callbase_store::Backend::Postgres).await;
}

async fn oversized_bodies_are_413(backend: callbase_store::Backend) {
    let app = spawn_app_with(backend, |s| s.body_limit = 1024).await;
    let name = "x".repeat(4096);
    let reply = app
        .post("/api/v1/workspaces")
        .token(&app.admin)
        .json(&json!({ "name": name }))
        .send()
        .await;
    reply.expect_error(413, "payload_too_large");
    let listed = app.get("/api/v1/workspaces").token(&app.admin).send().await;
    assert_eq!(listed.expect(200)["data"].as_array().map(Vec::len), Some(1), "nothing was created");
}
