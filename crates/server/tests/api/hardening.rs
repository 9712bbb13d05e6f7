//! What the adversarial review found, each closed and held by a test through HTTP: client
//! addresses behind proxies, login limits per account, cross-site changes with the cookie,
//! the `__Host-` cookie, request ids, and the metrics token.

use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, both_databases, spawn_app_with};

both_databases!(
    forged_forwarded_for_does_not_escape_the_login_limit,
    failed_logins_are_limited_per_account,
    trusted_proxies_are_skipped_right_to_left,
    cookie_changes_need_a_same_origin_request,
    over_https_the_cookie_is_host_prefixed,
    client_request_ids_are_kept_only_when_plain,
    metrics_can_require_a_token,
);

async fn login_from(app: &TestApp, email: &str, password: &str, forwarded: &str) -> (u16, Value) {
    let reply = app
        .post("/api/v1/auth/login")
        .header("x-forwarded-for", forwarded)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await;
    (reply.status.as_u16(), reply.body)
}

/// The left-most entry is whatever the client wrote; our proxy appended the right-most.
async fn forged_forwarded_for_does_not_escape_the_login_limit(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| {
        s.trust_forwarded_for = true;
        s.login_attempts_per_minute = Some(3);
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        let forged = format!("203.0.113.{n}, 198.51.100.7");
        // Different accounts, so only the per-address limit can refuse.
        let email = format!("nobody{n}@example.com");
        statuses.push(login_from(&app, &email, "wrong-password", &forged).await.0);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429], "the proxy's address is the one limited");
}

async fn failed_logins_are_limited_per_account(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| {
        s.trust_forwarded_for = true;
        s.login_attempts_per_minute = Some(3);
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..4 {
        // A new address each time: the per-address limit never applies.
        let from = format!("198.51.100.{n}");
        statuses.push(login_from(&app, ADMIN_EMAIL, "wrong-password", &from).await.0);
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    let (status, body) = login_from(&app, ADMIN_EMAIL, ADMIN_PASSWORD, "198.51.100.99").await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")));
    // Other accounts are not affected.
    app.user("colleague@example.com").await;
    let (status, _) =
        login_from(&app, "colleague@example.com", "password-123", "198.51.100.98").await;
    assert_eq!(status, 200);
}

async fn trusted_proxies_are_skipped_right_to_left(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| {
        s.trust_forwarded_for = true;
        s.trusted_proxies =
            vec!["127.0.0.0/8".parse().expect("cidr"), "10.0.0.0/8".parse().expect("cidr")];
    })
    .await;
    for (header, client) in [
        ("203.0.113.9, 10.1.2.3", "203.0.113.9"),
        ("1.1.1.1, 203.0.113.9, 10.1.2.3", "203.0.113.9"),
        ("10.0.0.5", "10.0.0.5"),
    ] {
        let (status, _) = login_from(&app, ADMIN_EMAIL, ADMIN_PASSWORD, header).await;
        assert_eq!(status, 200);
        let audit = app.get("/api/v1/audit?limit=1&instance=true").token(&app.admin).send().await;
        let entry = &audit.expect(200)["data"][0];
        assert_eq!(
            (entry["action"].as_str(), entry["client_addr"].as_str()),
            (Some("auth.login"), Some(client)),
            "{header}"
        );
    }
}

async fn cookie_changes_need_a_same_origin_request(app: TestApp) {
    let cookie = format!("callbase_session={}", app.admin);
    let create = |extra: Option<(&str, String)>| {
        let mut call = app.post("/api/v1/tokens").header("cookie", &cookie);
        if let Some((name, value)) = extra {
            call = call.header(name, &value);
        }
        call.json(&json!({ "name": "from the browser" })).send()
    };
    create(None).await.expect_error(403, "cross_site_request");
    create(Some(("origin", "https://evil.example".to_owned())))
        .await
        .expect_error(403, "cross_site_request");
    create(Some(("sec-fetch-site", "cross-site".to_owned())))
        .await
        .expect_error(403, "cross_site_request");
    create(Some(("origin", format!("http://{}", app.addr)))).await.expect(201);
    create(Some(("sec-fetch-site", "same-origin".to_owned()))).await.expect(201);
    // Reads with the cookie, and bearer tokens from anywhere, are not affected.
    app.get("/api/v1/tokens").header("cookie", &cookie).send().await.expect(200);
    app.post("/api/v1/tokens")
        .token(&app.admin)
        .header("origin", "https://evil.example")
        .json(&json!({ "name": "a script" }))
        .send()
        .await
        .expect(201);
}

async fn over_https_the_cookie_is_host_prefixed(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| {
        s.public_url = Some("https://calls.example.com".to_owned());
    })
    .await;
    let reply = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await;
    let cookie = reply.header("set-cookie").expect("cookie").to_owned();
    assert!(cookie.starts_with("__Host-callbase_session=cbs_"), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
    let token = reply.body["token"].as_str().expect("token");
    let me = |cookie: String| app.get("/api/v1/users/me").header("cookie", &cookie).send();
    me(format!("__Host-callbase_session={token}")).await.expect(200);
    me(format!("callbase_session={token}")).await.expect_error(401, "unauthenticated");
    // The same-origin check compares with the public URL.
    app.post("/api/v1/tokens")
        .header("cookie", &format!("__Host-callbase_session={token}"))
        .header("origin", "https://calls.example.com")
        .json(&json!({ "name": "ui" }))
        .send()
        .await
        .expect(201);
}

async fn client_request_ids_are_kept_only_when_plain(app: TestApp) {
    let with_id = |id: String| {
        app.get("/api/v1/users/me").token(&app.admin).header("x-request-id", &id).send()
    };
    let plain = "trace-0195f3a0.abc_1";
    assert_eq!(with_id(plain.to_owned()).await.header("x-request-id"), Some(plain));
    for bad in ["x".repeat(65), "a b".to_owned(), "<script>alert(1)</script>".to_owned()] {
        let reply = with_id(bad.clone()).await;
        let given = reply.header("x-request-id").expect("an id");
        assert_ne!(given, bad);
        assert!(uuid::Uuid::parse_str(given).is_ok(), "replaced by one of ours: {given}");
    }
    // What reaches the audit log is ours too.
    app.post("/api/v1/tokens")
        .token(&app.admin)
        .header("x-request-id", "forged id with spaces")
        .json(&json!({ "name": "audited" }))
        .send()
        .await
        .expect(201);
    let audit = app.get("/api/v1/audit?limit=1").token(&app.admin).send().await;
    let entry = &audit.expect(200)["data"][0];
    assert_eq!(entry["action"], "token.create");
    assert!(entry["request_id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()));
}

async fn metrics_can_require_a_token(app: TestApp) {
    app.get("/metrics").send().await.expect(200);
    let app = spawn_app_with(app.backend, |s| {
        s.metrics_token = Some(callbase_server::Secret::new("scrape-token-0123456789".to_owned()));
    })
    .await;
    app.get("/metrics").send().await.expect_error(401, "unauthenticated");
    app.get("/metrics").token("wrong-token").send().await.expect_error(401, "unauthenticated");
    app.get("/metrics").token(&app.admin).send().await.expect_error(401, "unauthenticated");
    let scraped = app.get("/metrics").token("scrape-token-0123456789").send().await;
    assert_eq!(scraped.status.as_u16(), 200);
    assert!(scraped.text.contains("http_requests_total"));
}
