//! Operations: health, readiness, metrics, request ids, headers, limits, CORS, shutdown.

use callbase_server::RateLimit;
use callbase_store::Backend;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, TestApp, both_databases, spawn_app_with};

both_databases!(
    health_and_readiness,
    metrics_count_requests_by_route_template,
    every_response_has_a_request_id_and_security_headers,
    in_flight_requests_finish_on_shutdown,
);

async fn health_and_readiness(app: TestApp) {
    assert_eq!(app.get("/healthz").send().await.expect(200)["status"], "ok");
    let ready = app.get("/readyz").send().await;
    assert_eq!(ready.expect(200)["database"], app.backend.as_str());
}

async fn metrics_count_requests_by_route_template(app: TestApp) {
    let unique = uuid::Uuid::now_v7();
    app.get(&format!("/api/v1/users/{unique}")).token(&app.admin).send().await.expect(404);
    let metrics = app.get("/metrics").send().await;
    assert_eq!(metrics.status.as_u16(), 200);
    let text = &metrics.text;
    assert!(!text.contains(&unique.to_string()), "raw paths must not become labels");
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains("route=\"/api/v1/users/{id}\"")
            && l.contains("status=\"404\"")),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("db_pool_connections{state=\"open\"}"), "{text}");
}

async fn every_response_has_a_request_id_and_security_headers(app: TestApp) {
    for reply in [
        app.get("/healthz").send().await,
        app.get("/api/v1/users/me").send().await,
        app.get("/nowhere").send().await,
    ] {
        assert!(
            reply.header("x-request-id").is_some_and(|id| id.len() >= 32),
            "{:?}",
            reply.headers
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert!(reply.header("content-security-policy").is_some());
    }
    let given = app.get("/healthz").header("x-request-id", "trace-me-42").send().await;
    assert_eq!(given.header("x-request-id"), Some("trace-me-42"));
}

async fn in_flight_requests_finish_on_shutdown(app: TestApp) {
    // A login spends tens of milliseconds in Argon2: long enough to be in flight.
    let client = app.client.clone();
    let url = app.url("/api/v1/auth/login");
    let login = tokio::spawn(async move {
        client
            .post(url)
            .json(&json!({ "email": ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD }))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.shutdown.cancel();
    assert_eq!(login.await.expect("joined").expect("answered"), 200);
    let health = app.url("/healthz");
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), app.server).await;
    assert!(stopped.expect("server stopped").expect("joined").is_ok());
    assert!(app.client.get(health).send().await.is_err(), "no longer listening");
}

#[tokio::test]
async fn rate_limit_per_address_answers_429_with_retry_after() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.rate_limit_ip = Some(RateLimit { per_second: 1, burst: 3 });
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let reply = app.get("/healthz").send().await;
        if reply.status.as_u16() == 429 {
            reply.expect_error(429, "rate_limited");
            let retry: u64 =
                reply.header("retry-after").expect("Retry-After").parse().expect("seconds");
            assert!((1..=2).contains(&retry), "{retry}");
        }
        statuses.push(reply.status.as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn rate_limit_per_token_is_separate_for_each_token() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.rate_limit_token = Some(RateLimit { per_second: 1, burst: 2 });
    })
    .await;
    let (_, other) = app.api_token(&app.admin, &app.default_workspace).await;
    let mut limited = false;
    for _ in 0..5 {
        limited |=
            app.get("/api/v1/users/me").token(&app.admin).send().await.status.as_u16() == 429;
    }
    assert!(limited, "the busy token is limited");
    app.get("/api/v1/users/me").token(&other).send().await.expect(200);
}

#[tokio::test]
async fn login_attempts_are_limited_per_address() {
    // Four a minute: the test app's own admin login takes the first.
    let app = spawn_app_with(Backend::Sqlite, |s| s.login_attempts_per_minute = Some(4)).await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        let reply = app
            .post("/api/v1/auth/login")
            .json(&json!({ "email": ADMIN_EMAIL, "password": "guessing-again" }))
            .send()
            .await;
        codes.push(reply.status.as_u16());
    }
    assert_eq!(&codes[..3], &[401, 401, 401]);
    assert_eq!(codes[4], 429, "{codes:?}");
    // Once limited, even the right password is refused: guessing learns nothing.
    let right = app
        .post("/api/v1/auth/login")
        .json(&json!({ "email": ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD }))
        .send()
        .await;
    right.expect_error(429, "rate_limited");
}

#[tokio::test]
async fn cors_allows_only_listed_origins() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.cors_origins = vec!["https://app.example".to_owned()]
    })
    .await;
    let preflight = |origin: &'static str| {
        app.call(reqwest::Method::OPTIONS, "/api/v1/users/me")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://app.example").await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://app.example"));
    let refused = preflight("https://evil.example").await;
    assert_eq!(refused.header("access-control-allow-origin"), None);
}
