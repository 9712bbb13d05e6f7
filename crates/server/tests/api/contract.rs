//! The OpenAPI document states what the server enforces (REL-3): what schemathesis found the
//! two disagreeing on, settled one way or the other.

use serde_json::{Value, json};

use crate::helpers::{TestApp, both_databases, wav_bytes};

both_databases!(
    a_malformed_workspace_header_is_refused_from_api_tokens_too,
    bodies_are_objects_and_optional_bodies_may_be_null,
    integers_may_carry_a_zero_fraction,
    past_expiries_make_expired_tokens_and_entries,
    logging_out_takes_a_login_session,
    a_transfer_names_exactly_one_target,
    users_named_in_a_call_must_be_members,
    numbers_in_e164_form_are_always_read,
    quality_and_raw_are_objects,
    texts_are_counted_as_sent,
);

async fn call(app: &TestApp, token: &str) -> String {
    let reply = app
        .post("/api/v1/calls")
        .token(token)
        .json(&json!({ "direction": "inbound", "from_number": "+49301234567" }))
        .send()
        .await;
    reply.expect(201)["id"].as_str().expect("id").to_owned()
}

async fn a_malformed_workspace_header_is_refused_from_api_tokens_too(app: TestApp) {
    let (_, secret) = app.api_token(&app.admin, &app.default_workspace).await;
    for bad in ["", "nope", "01234"] {
        let reply =
            app.get("/api/v1/calls").token(&secret).header("x-workspace-id", bad).send().await;
        reply.expect_error(400, "invalid_header");
    }
    // A well-formed one is read and, for an API token, ignored: it acts in its own workspace.
    let other = uuid::Uuid::now_v7().to_string();
    let reply = app.get("/api/v1/users/me").token(&secret).header("x-workspace-id", &other).send();
    assert_eq!(reply.await.expect(200)["workspace_id"], json!(app.default_workspace));
}

async fn bodies_are_objects_and_optional_bodies_may_be_null(app: TestApp) {
    let id = call(&app, &app.admin).await;
    for (path, body) in [
        (format!("/api/v1/calls/{id}/end"), "[null, null]"),
        (format!("/api/v1/calls/{id}/hold"), "[]"),
    ] {
        let reply = app.post(&path).token(&app.admin).body("application/json", body).send().await;
        reply.expect_error(422, "validation_failed");
        assert_eq!(reply.body["error"]["details"]["field"], "body");
    }
    let patch = app
        .patch(&format!("/api/v1/calls/{id}"))
        .token(&app.admin)
        .body("application/json", r#"["a note"]"#)
        .send()
        .await;
    patch.expect_error(422, "validation_failed");
    let ended = app
        .post(&format!("/api/v1/calls/{id}/end"))
        .token(&app.admin)
        .body("application/json", "null")
        .send()
        .await;
    assert_eq!(ended.expect(200)["call"]["status"], "missed");
}

async fn integers_may_carry_a_zero_fraction(app: TestApp) {
    let id = call(&app, &app.admin).await;
    let uploaded = app
        .post(&format!("/api/v1/calls/{id}/recordings"))
        .token(&app.admin)
        .body("application/octet-stream", wav_bytes(500))
        .send()
        .await;
    let recording = uploaded.expect(201)["id"].as_str().expect("id").to_owned();
    let share = |seconds: Value| {
        app.post(&format!("/api/v1/recordings/{recording}/share"))
            .token(&app.admin)
            .json(&json!({ "expires_in_seconds": seconds }))
            .send()
    };
    share(json!(3600.0)).await.expect(201);
    share(json!(3600)).await.expect(201);
    for bad in [json!(3600.5), json!(-60.0), json!(1e30), json!("3600")] {
        let reply = share(bad.clone()).await;
        reply.expect_error(422, "validation_failed");
        assert_eq!(reply.body["error"]["details"]["field"], "expires_in_seconds", "{bad}");
    }
}

async fn past_expiries_make_expired_tokens_and_entries(app: TestApp) {
    let past = "2001-01-01T00:00:00Z";
    let token = app
        .post("/api/v1/tokens")
        .token(&app.admin)
        .json(&json!({ "name": "already over", "expires_at": past }))
        .send()
        .await;
    let secret = token.expect(201)["secret"].as_str().expect("secret").to_owned();
    app.get("/api/v1/users/me").token(&secret).send().await.expect_error(401, "token_expired");
    app.post("/api/v1/blocklist")
        .token(&app.admin)
        .json(&json!({ "pattern": "+49301234567", "expires_at": past }))
        .send()
        .await
        .expect(201);
    let outbound = app
        .post("/api/v1/calls/outbound")
        .token(&app.admin)
        .json(&json!({ "to_number": "+49301234567" }))
        .send()
        .await;
    outbound.expect(201);
}

async fn logging_out_takes_a_login_session(app: TestApp) {
    let (_, secret) = app.api_token(&app.admin, &app.default_workspace).await;
    let reply = app.post("/api/v1/auth/logout").token(&secret).send().await;
    reply.expect_error(403, "session_required");
    app.get("/api/v1/users/me").token(&secret).send().await.expect(200);
}

async fn a_transfer_names_exactly_one_target(app: TestApp) {
    let id = call(&app, &app.admin).await;
    let transfer = |body: Value| {
        app.post(&format!("/api/v1/calls/{id}/transfer")).token(&app.admin).json(&body).send()
    };
    for body in [
        json!({}),
        json!({ "to_number": null, "to_user_id": null }),
        json!({ "to_number": "+4989123456", "to_user_id": uuid::Uuid::now_v7() }),
    ] {
        transfer(body).await.expect_error(422, "validation_failed");
    }
    let stranger = transfer(json!({ "to_user_id": uuid::Uuid::now_v7() })).await;
    stranger.expect_error(404, "user_not_found");
    assert_eq!(stranger.body["error"]["details"]["field"], "to_user_id");
    // Well-formed, to a number: the call is not connected, which is the call's state.
    let number = transfer(json!({ "to_number": "+4989123456", "to_user_id": null })).await;
    number.expect(409);
}

async fn users_named_in_a_call_must_be_members(app: TestApp) {
    let stranger = uuid::Uuid::now_v7();
    let logged = app
        .post("/api/v1/calls")
        .token(&app.admin)
        .json(&json!({ "direction": "inbound", "user_id": stranger }))
        .send()
        .await;
    logged.expect_error(404, "user_not_found");
    assert_eq!(logged.body["error"]["details"]["field"], "user_id");
    let id = call(&app, &app.admin).await;
    let patched = app
        .patch(&format!("/api/v1/calls/{id}"))
        .token(&app.admin)
        .json(&json!({ "user_id": stranger }))
        .send()
        .await;
    patched.expect_error(404, "user_not_found");
}

async fn numbers_in_e164_form_are_always_read(app: TestApp) {
    // An unassigned country code: no numbering plan knows it, the form is still E.164.
    for number in ["+9991234567", "+78000000"] {
        let reply = app
            .post("/api/v1/calls/outbound")
            .token(&app.admin)
            .json(&json!({ "to_number": number }))
            .send()
            .await;
        assert_eq!(reply.expect(201)["to_number"], number);
    }
    let garbage = app
        .post("/api/v1/calls/outbound")
        .token(&app.admin)
        .json(&json!({ "to_number": "+0123" }))
        .send()
        .await;
    garbage.expect_error(422, "validation_failed");
}

async fn quality_and_raw_are_objects(app: TestApp) {
    for field in ["quality", "raw"] {
        let mut body = json!({ "direction": "inbound" });
        body[field] = json!([1, 2]);
        let reply = app.post("/api/v1/calls").token(&app.admin).json(&body).send().await;
        reply.expect_error(422, "validation_failed");
        assert_eq!(reply.body["error"]["details"]["field"], field);
    }
    let logged = app
        .post("/api/v1/calls")
        .token(&app.admin)
        .json(&json!({ "direction": "inbound", "quality": { "mos": 4.1 }, "raw": { "a": 1 } }))
        .send()
        .await;
    assert_eq!(logged.expect(201)["raw"], json!([{ "a": 1 }]));
}

async fn texts_are_counted_as_sent(app: TestApp) {
    // What a schema's maxLength counts: the text as sent, surrounding whitespace too.
    let padded = format!(" {} ", "x".repeat(199));
    let reply = app.post("/api/v1/workspaces").token(&app.admin).json(&json!({ "name": padded }));
    reply.send().await.expect_error(422, "validation_failed");
    let tag = format!(" {} ", "t".repeat(63));
    let logged = app
        .post("/api/v1/calls")
        .token(&app.admin)
        .json(&json!({ "direction": "inbound", "tags": [tag] }))
        .send()
        .await;
    logged.expect_error(422, "validation_failed");
    let trimmed = app
        .post("/api/v1/calls")
        .token(&app.admin)
        .json(&json!({ "direction": "inbound", "tags": ["\tvip\n"], "notes": "  hi  " }))
        .send()
        .await;
    let body = trimmed.expect(201);
    assert_eq!((body["tags"].clone(), body["notes"].clone()), (json!(["vip"]), json!("hi")));
}
