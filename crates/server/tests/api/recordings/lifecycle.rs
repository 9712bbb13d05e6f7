//! Recordings made elsewhere: start, stop, and fetching their bytes from a URL.

use axum::Router;
use axum::routing::get;
use serde_json::json;

use super::{files_under, setup};
use crate::helpers::{TestApp, both_databases, spawn_app_with, wav_bytes};

both_databases!(recordings_made_elsewhere_start_stop_and_are_fetched);

/// A local HTTP server standing in for a PBX's recording store.
pub(super) async fn file_server() -> String {
    let app = Router::new()
        .route("/calls/1.wav", get(|| async { wav_bytes(2000) }))
        .route("/calls/big.wav", get(|| async { wav_bytes(60_000) }))
        .route("/calls/notes.txt", get(|| async { "just text, not audio".repeat(50) }))
        .route("/calls/gone.wav", get(|| async { (axum::http::StatusCode::NOT_FOUND, "gone") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn recordings_made_elsewhere_start_stop_and_are_fetched(app: TestApp) {
    let app = spawn_app_with(app.backend, |s| {
        s.recording_max_bytes = 500_000;
        // The stand-in PBX listens on loopback, as a LAN PBX would sit on a private address.
        s.egress_allow = vec![callbase_app::egress::AllowEntry::parse("127.0.0.1").expect("entry")];
    })
    .await;
    let setup = setup(&app).await;
    let pbx = file_server().await;
    let post = |path: String, body: serde_json::Value| {
        app.post(&path)
            .token(&setup.token)
            .header("x-workspace-id", &setup.workspace)
            .json(&body)
            .send()
    };
    let calls = format!("/api/v1/calls/{}/recordings", setup.call);

    post(format!("{calls}/stop"), json!({})).await.expect_error(409, "recording_not_active");
    post(format!("{calls}/start"), json!({ "external_url": "ftp://pbx/x.wav" }))
        .await
        .expect_error(422, "validation_failed");
    let started = post(format!("{calls}/start"), json!({})).await.expect(201).clone();
    assert_eq!(started["status"], "recording");
    assert!(started["started_at"].is_string() && started["media_url"].is_null());
    let id = started["id"].as_str().expect("id").to_owned();
    post(format!("/api/v1/recordings/{id}/fetch"), json!({}))
        .await
        .expect_error(409, "recording_not_stored");

    let stopped =
        post(format!("{calls}/stop"), json!({ "external_url": format!("{pbx}/calls/1.wav") }));
    let stopped = stopped.await.expect(200).clone();
    assert_eq!(
        (stopped["status"].as_str(), stopped["id"].as_str()),
        (Some("processing"), Some(id.as_str()))
    );
    assert!(stopped["ended_at"].is_string());
    post(format!("{calls}/stop"), json!({})).await.expect_error(409, "recording_not_active");

    let fetched =
        post(format!("/api/v1/recordings/{id}/fetch"), json!({})).await.expect(200).clone();
    assert_eq!(fetched["status"], "completed");
    assert_eq!(
        (fetched["format"].as_str(), fetched["duration_ms"].as_i64()),
        (Some("wav"), Some(2000))
    );
    let (status, _, body) =
        setup.get(&app, fetched["media_url"].as_str().expect("url")).send_bytes().await;
    assert_eq!((status.as_u16(), body), (200, wav_bytes(2000)));
    post(format!("/api/v1/recordings/{id}/fetch"), json!({})).await.expect_error(409, "conflict");

    // Failures are kept on the recording with their reason; nothing is stored.
    let cases = [
        ("gone.wav", 502, "upstream_failed"),
        ("big.wav", 413, "payload_too_large"),
        ("notes.txt", 415, "unsupported_media_type"),
    ];
    for (file, status, code) in cases {
        let started = post(
            format!("{calls}/start"),
            json!({ "external_url": format!("{pbx}/calls/{file}") }),
        );
        let id = started.await.expect(201)["id"].as_str().expect("id").to_owned();
        post(format!("/api/v1/recordings/{id}/fetch"), json!({})).await.expect_error(status, code);
        let failed = setup.get(&app, &format!("/api/v1/recordings/{id}")).send().await;
        let failed = failed.expect(200);
        assert_eq!(failed["status"], "failed", "{file}");
        assert!(failed["failure"].as_str().is_some_and(|f| !f.is_empty()), "{file}: {failed}");
    }
    assert_eq!(files_under(&app.data_dir.join("recordings")).len(), 1, "only the good one");
    assert!(files_under(&app.data_dir.join("tmp")).is_empty());

    let listed = setup.get(&app, "/api/v1/recordings?status=failed").send().await;
    assert_eq!(listed.expect(200)["data"].as_array().map(Vec::len), Some(3));
}
