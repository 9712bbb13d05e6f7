//! Accounts: creation by admins and superusers, profiles, passwords, superuser powers.

use serde_json::json;

use crate::helpers::{TestApp, both_databases};

both_databases!(
    admins_create_members_of_their_workspace,
    duplicate_emails_conflict,
    changing_your_password_needs_the_current_one,
    only_superusers_grant_superuser,
    users_list_pages_without_gaps,
    a_new_password_ends_the_other_sessions,
);

async fn admins_create_members_of_their_workspace(app: TestApp) {
    let (_, owner) = app.user("owner@example.com").await;
    let workspace = app.workspace(&owner, "Shop").await;
    let reply = app
        .post("/api/v1/users")
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .json(
            &json!({ "email": "Clerk@Example.com", "name": " Clerk ", "password": "password-123" }),
        )
        .send()
        .await;
    let user = reply.expect(201).clone();
    assert_eq!(user["email"], "clerk@example.com");
    assert_eq!(user["name"], "Clerk");
    let members =
        app.get(&format!("/api/v1/workspaces/{workspace}/members")).token(&owner).send().await;
    let clerk = members.expect(200)["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|m| m["user"]["id"] == user["id"])
        .cloned()
        .expect("the new user is a member");
    assert_eq!(clerk["role"], "agent");
    let superuser = app
        .post("/api/v1/users")
        .token(&owner)
        .header("x-workspace-id", &workspace)
        .json(&json!({ "email": "x@example.com", "name": "X", "password": "password-123", "is_superuser": true }))
        .send()
        .await;
    superuser.expect_error(403, "forbidden");
}

async fn duplicate_emails_conflict(app: TestApp) {
    app.user("twice@example.com").await;
    let reply = app
        .post("/api/v1/users")
        .token(&app.admin)
        .json(&json!({ "email": "TWICE@example.com", "name": "Again", "password": "password-123" }))
        .send()
        .await;
    reply.expect_error(409, "email_taken");
}

async fn changing_your_password_needs_the_current_one(app: TestApp) {
    let (_, token) = app.user("pw@example.com").await;
    let without = app
        .patch("/api/v1/users/me")
        .token(&token)
        .json(&json!({ "password": "new-password-1" }))
        .send()
        .await;
    without.expect_error(403, "forbidden");
    assert_eq!(without.body["error"]["details"]["field"], "current_password");
    let wrong = app
        .patch("/api/v1/users/me")
        .token(&token)
        .json(&json!({ "password": "new-password-1", "current_password": "nope-nope" }))
        .send()
        .await;
    wrong.expect_error(403, "forbidden");
    // Superusers too: a stolen session must not be enough.
    let admin_without = app
        .patch("/api/v1/users/me")
        .token(&app.admin)
        .json(&json!({ "password": "new-password-1" }))
        .send()
        .await;
    admin_without.expect_error(403, "forbidden");
    let right = app
        .patch("/api/v1/users/me")
        .token(&token)
        .json(&json!({ "password": "new-password-1", "current_password": "password-123", "name": "Renamed" }))
        .send()
        .await;
    assert_eq!(right.expect(200)["user"]["name"], "Renamed");
    app.login("pw@example.com", "new-password-1").await;
}

async fn only_superusers_grant_superuser(app: TestApp) {
    let me = app.get("/api/v1/users/me").token(&app.admin).send().await;
    let admin_id = me.expect(200)["user"]["id"].as_str().expect("id").to_owned();
    let step_down = json!({ "is_superuser": false });
    let alone = app.patch("/api/v1/users/me").token(&app.admin).json(&step_down).send().await;
    alone.expect_error(409, "last_superuser");

    let (id, token) = app.user("plain@example.com").await;
    let path = format!("/api/v1/users/{id}");
    app.patch(&path)
        .token(&token)
        .json(&json!({ "is_superuser": true }))
        .send()
        .await
        .expect_error(403, "forbidden");
    let granted =
        app.patch(&path).token(&app.admin).json(&json!({ "is_superuser": true })).send().await;
    assert_eq!(granted.expect(200)["is_superuser"], true);
    let all = app.get("/api/v1/users?all=true").token(&token).send().await;
    assert_eq!(all.expect(200)["data"].as_array().map(Vec::len), Some(2));

    // With a second superuser, the first may step down.
    let admin = format!("/api/v1/users/{admin_id}");
    let stepped = app.patch(&admin).token(&token).json(&step_down).send().await;
    assert_eq!(stepped.expect(200)["is_superuser"], false);
}

async fn users_list_pages_without_gaps(app: TestApp) {
    for n in 0..5 {
        app.post("/api/v1/users")
            .token(&app.admin)
            .json(&json!({ "email": format!("p{n}@example.com"), "name": "P", "password": "password-123", "role": "viewer" }))
            .send()
            .await
            .expect(201);
    }
    for sort in ["created_at", "-created_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/users?limit=2&sort={sort}&cursor=");
            if let Some(cursor) = &cursor {
                path.push_str(cursor);
            }
            let page = app.get(&path).token(&app.admin).send().await;
            let body = page.expect(200);
            seen.extend(body["data"].as_array().expect("data").iter().map(|u| u["email"].clone()));
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6, "{sort}: {seen:?}");
        let mut unique = seen.clone();
        unique.dedup();
        assert_eq!(unique.len(), 6);
        let expected_first =
            if sort == "created_at" { "admin@example.com" } else { "p4@example.com" };
        assert_eq!(seen[0], expected_first);
    }
}

async fn a_new_password_ends_the_other_sessions(app: TestApp) {
    let (id, first) = app.user("sessions@example.com").await;
    let second = app.login("sessions@example.com", "password-123").await;
    let second = second["token"].as_str().expect("token").to_owned();
    let (_, api) = {
        let workspace = app.workspace(&first, "Mine").await;
        app.api_token(&first, &workspace).await
    };
    app.patch("/api/v1/users/me")
        .token(&first)
        .json(&json!({ "password": "new-password-1", "current_password": "password-123" }))
        .send()
        .await
        .expect(200);
    app.get("/api/v1/users/me").token(&first).send().await.expect(200);
    app.get("/api/v1/users/me").token(&second).send().await.expect_error(401, "token_revoked");
    app.get("/api/v1/users/me").token(&api).send().await.expect(200);

    // A superuser's reset ends every session of the user.
    app.patch(&format!("/api/v1/users/{id}"))
        .token(&app.admin)
        .json(&json!({ "password": "reset-password-2" }))
        .send()
        .await
        .expect(200);
    app.get("/api/v1/users/me").token(&first).send().await.expect_error(401, "token_revoked");
    app.login("sessions@example.com", "reset-password-2").await;
}
