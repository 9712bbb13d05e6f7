//! REL-5 through the API: a recording URL cannot reach the server's own network, by literal,
//! by name or by redirect, unless the operator opened it; what failed upstream is not told;
//! credentials in a URL are never stored or shown.

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use callbase_app::egress::AllowEntry;
use serde_json::json;

use super::lifecycle::file_server;
use super::{Setup, files_under, setup};
use crate::helpers::{TestApp, both_databases, spawn_app_with, wav_bytes};

both_databases!(
    internal_destinations_are_refused_by_literal_name_and_redirect,
    upstream_failures_read_alike_and_credentials_are_dropped,
);

/// A server on 127.0.0.2 (another loopback address, not on the allow-list) holding a file
/// the server must never fetch, and one on 127.0.0.1 (allowed) that redirects to it.
async fn internal_and_redirecting_servers() -> (String, String) {
    let internal = Router::new().route("/secret.wav", get(|| async { wav_bytes(1000) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.expect("bind 127.0.0.2");
    let internal_url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, internal).await });
    let target = format!("{internal_url}/secret.wav");
    let redirecting = Router::new()
        .route("/to-internal.wav", get(move || async move { Redirect::temporary(&target) }))
        .route(
            "/to-metadata.wav",
            get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let redirecting_url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, redirecting).await });
    (internal_url, redirecting_url)
}

/// Starts a recording of the setup's call made elsewhere, to be fetched from `url`.
async fn start_at(app: &TestApp, setup: &Setup, url: &str) -> crate::helpers::Reply {
    app.post(&format!("/api/v1/calls/{}/recordings/start", setup.call))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .json(&json!({ "external_url": url }))
        .send()
        .await
}

/// Asks the server to fetch recording `id` from its URL.
async fn fetch(app: &TestApp, setup: &Setup, id: &str) -> crate::helpers::Reply {
    app.post(&format!("/api/v1/recordings/{id}/fetch"))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .send()
        .await
}

async fn internal_destinations_are_refused_by_literal_name_and_redirect(app: TestApp) {
    // With no allow-list, a name that resolves to loopback passes the URL check (it is a
    // name on port 80) and is refused as it resolves.
    let setup_open = setup(&app).await;
    let started = start_at(&app, &setup_open, "http://localhost/secret.wav").await;
    let id = started.expect(201)["id"].as_str().expect("id").to_owned();
    let fetched = fetch(&app, &setup_open, &id).await;
    fetched.expect_error(403, "destination_refused");

    let app = spawn_app_with(app.backend, |s| {
        s.egress_allow = vec![AllowEntry::parse("127.0.0.1").expect("entry")];
    })
    .await;
    let setup = setup(&app).await;
    let (internal, redirecting) = internal_and_redirecting_servers().await;
    // Literal addresses are refused before anything is stored.
    for url in [
        format!("{internal}/secret.wav"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:127.0.0.2]/secret.wav".to_owned(),
        "http://2130706434/secret.wav".to_owned(),
        "http://10.0.0.1/x.wav".to_owned(),
        "http://[fd00::1]/x.wav".to_owned(),
        "https://example.com:8443/x.wav".to_owned(),
    ] {
        let reply = start_at(&app, &setup, &url).await;
        reply.expect_error(403, "destination_refused");
        assert_eq!(reply.body["error"]["details"]["field"], "external_url", "{url}");
    }
    // An allowed server redirecting inward: each hop is checked like the first.
    for path in ["to-internal.wav", "to-metadata.wav"] {
        let started = start_at(&app, &setup, &format!("{redirecting}/{path}")).await;
        let id = started.expect(201)["id"].as_str().expect("id").to_owned();
        fetch(&app, &setup, &id).await.expect_error(403, "destination_refused");
        let failed = app
            .get(&format!("/api/v1/recordings/{id}"))
            .token(&setup.token)
            .header("x-workspace-id", &setup.workspace)
            .send()
            .await;
        assert_eq!(failed.expect(200)["status"], "failed", "{path}");
    }
    assert!(files_under(&app.data_dir.join("recordings")).is_empty(), "nothing was fetched");
    assert!(files_under(&app.data_dir.join("tmp")).is_empty());
}

async fn upstream_failures_read_alike_and_credentials_are_dropped(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| {
        s.egress_allow = vec![AllowEntry::parse("127.0.0.1").expect("entry")];
    })
    .await;
    let setup = setup(&app).await;
    let pbx = file_server().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        format!("http://127.0.0.1:{port}/calls/1.wav")
    };
    let mut messages = Vec::new();
    for url in [closed, format!("{pbx}/calls/gone.wav")] {
        let id =
            start_at(&app, &setup, &url).await.expect(201)["id"].as_str().expect("id").to_owned();
        let reply = fetch(&app, &setup, &id).await;
        reply.expect_error(502, "upstream_failed");
        messages.push(reply.body["error"].clone());
    }
    assert_eq!(messages[0], messages[1], "a closed port and a live 404 read the same");

    let with_credentials = pbx.replace("http://", "http://pbx-user:s3cret-pass@");
    let started = start_at(&app, &setup, &format!("{with_credentials}/calls/1.wav")).await;
    let started = started.expect(201).clone();
    let shown = started["external_url"].as_str().expect("url");
    assert!(!shown.contains("s3cret") && !shown.contains("pbx-user"), "{shown}");
    let audit = app.get("/api/v1/audit?limit=50").token(&setup.token).send().await;
    assert!(!audit.text.contains("s3cret"), "the audit log keeps no password");
}
