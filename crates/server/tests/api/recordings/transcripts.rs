//! Transcripts: stored segments, search with highlighted snippets, `GET /calls?q=`, and
//! automatic transcription through an OpenAI-compatible endpoint.

use axum::Router;
use axum::extract::Multipart;
use axum::routing::post;
use serde_json::{Value, json};

use super::setup;
use crate::helpers::{TestApp, both_databases, spawn_app_with, wav_bytes};

both_databases!(
    transcripts_are_stored_and_searched,
    transcribes_through_a_local_openai_compatible_server,
);

async fn transcripts_are_stored_and_searched(app: TestApp) {
    let setup = setup(&app).await;
    let recording = setup.uploaded(&app, wav_bytes(4000)).await;
    let id = recording["id"].as_str().expect("id").to_owned();
    let put = |body: Value| {
        app.put(&format!("/api/v1/recordings/{id}/transcript"))
            .token(&setup.token)
            .header("x-workspace-id", &setup.workspace)
            .json(&body)
            .send()
    };
    setup
        .get(&app, &format!("/api/v1/recordings/{id}/transcript"))
        .send()
        .await
        .expect_error(404, "transcript_not_found");
    let bad = [
        json!({ "segments": [{ "start_ms": 500, "end_ms": 100, "text": "backwards" }] }),
        json!({ "segments": [{ "start_ms": 0, "end_ms": 100, "text": "  " }] }),
        json!({ "segments": [{ "start_ms": 0, "end_ms": 100, "text": "x", "confidence": 2 }] }),
        json!({ "language": "not a tag!", "segments": [] }),
        json!({ "segments": [{ "start_ms": 0, "end_ms": 100 }] }),
    ];
    for body in bad {
        let reply = put(body.clone()).await;
        assert_eq!(reply.status.as_u16(), 422, "{body}: {}", reply.text);
    }
    let stored = put(json!({
        "language": "en",
        "segments": [
            { "speaker": "customer", "start_ms": 1800, "end_ms": 3900,
              "text": "My invoice shows a <double> charge", "confidence": 0.82 },
            { "speaker": "agent", "start_ms": 0, "end_ms": 1700, "text": "Thanks for calling, how can I help?" },
        ]
    }))
    .await;
    let stored = stored.expect(200).clone();
    assert_eq!(stored["source"], "manual");
    assert_eq!(stored["segments"][0]["speaker"], "agent", "kept in time order");
    assert_eq!(
        stored["text"],
        "Thanks for calling, how can I help?\nMy invoice shows a <double> charge"
    );
    let again = setup.get(&app, &format!("/api/v1/recordings/{id}/transcript")).send().await;
    assert_eq!(again.expect(200)["segments"], stored["segments"]);
    let recording = setup.get(&app, &format!("/api/v1/recordings/{id}")).send().await;
    assert_eq!(recording.expect(200)["has_transcript"], true);

    let search = setup.get(&app, "/api/v1/search?q=INVOICE%20charge").send().await;
    let hits = search.expect(200)["data"].clone();
    assert_eq!(hits.as_array().map(Vec::len), Some(1));
    assert_eq!(
        hits[0]["snippet"],
        "My <mark>invoice</mark> shows a &lt;double&gt; <mark>charge</mark>"
    );
    assert_eq!(
        (hits[0]["recording_id"].as_str(), hits[0]["call_id"].as_str()),
        (Some(id.as_str()), Some(setup.call.as_str()))
    );
    assert_eq!(hits[0]["segment"]["start_ms"], 1800);
    assert_eq!(hits[0]["call"]["id"], setup.call.as_str());
    let none = setup.get(&app, "/api/v1/search?q=refund").send().await;
    assert_eq!(none.expect(200)["data"], json!([]));
    setup.get(&app, "/api/v1/search?q=%20").send().await.expect_error(400, "invalid_query");

    let calls = setup.get(&app, "/api/v1/calls?q=invoice").send().await;
    assert_eq!(
        calls.expect(200)["data"][0]["id"],
        setup.call.as_str(),
        "GET /calls?q= searches transcripts"
    );
}

/// Answers `POST /v1/audio/transcriptions` as OpenAI documents it (`verbose_json`), after
/// checking the request carries the file, the model and the bearer key.
async fn openai_compatible_server() -> String {
    async fn transcribe(
        headers: axum::http::HeaderMap,
        mut form: Multipart,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sk-test") {
            return (axum::http::StatusCode::UNAUTHORIZED, "bad key").into_response();
        }
        let (mut file_bytes, mut model, mut format) = (0, String::new(), String::new());
        while let Ok(Some(field)) = form.next_field().await {
            match field.name().unwrap_or_default().to_owned().as_str() {
                "file" => file_bytes = field.bytes().await.map(|b| b.len()).unwrap_or(0),
                "model" => model = field.text().await.unwrap_or_default(),
                "response_format" => format = field.text().await.unwrap_or_default(),
                _ => {}
            }
        }
        if file_bytes < 1000 || model != "whisper-large-v3" || format != "verbose_json" {
            return (axum::http::StatusCode::BAD_REQUEST, "incomplete request").into_response();
        }
        axum::Json(json!({
            "task": "transcribe",
            "language": "english",
            "duration": 4.0,
            "text": "Hello, I would like a refund. Sure, one moment.",
            "segments": [
                { "id": 0, "seek": 0, "start": 0.0, "end": 2.1, "text": " Hello, I would like a refund.",
                  "tokens": [50364, 2425], "temperature": 0.0, "avg_logprob": -0.2,
                  "compression_ratio": 1.1, "no_speech_prob": 0.01 },
                { "id": 1, "seek": 0, "start": 2.1, "end": 4.0, "text": " Sure, one moment.",
                  "tokens": [50469], "temperature": 0.0, "avg_logprob": -0.35,
                  "compression_ratio": 1.1, "no_speech_prob": 0.02 }
            ]
        }))
        .into_response()
    }
    let app = Router::new().route("/v1/audio/transcriptions", post(transcribe));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn transcribes_through_a_local_openai_compatible_server(app: TestApp) {
    let setup_without = setup(&app).await;
    let recording = setup_without.uploaded(&app, wav_bytes(1000)).await;
    let reply = app
        .post(&format!("/api/v1/recordings/{}/transcribe", recording["id"].as_str().expect("id")))
        .token(&setup_without.token)
        .header("x-workspace-id", &setup_without.workspace)
        .send()
        .await;
    reply.expect_error(409, "transcription_disabled");

    let url = openai_compatible_server().await;
    let app = spawn_app_with(app.backend, |s| {
        s.transcription = Some(callbase_server::Transcription {
            url: url.clone(),
            api_key: Some(callbase_server::Secret::new("sk-test".into())),
            model: "whisper-large-v3".into(),
        });
    })
    .await;
    let setup = setup(&app).await;
    let recording = setup.uploaded(&app, wav_bytes(4000)).await;
    let id = recording["id"].as_str().expect("id");
    let reply = app
        .post(&format!("/api/v1/recordings/{id}/transcribe"))
        .token(&setup.token)
        .header("x-workspace-id", &setup.workspace)
        .send()
        .await;
    let transcript = reply.expect(200);
    assert_eq!(
        (transcript["source"].as_str(), transcript["language"].as_str()),
        (Some("automatic"), Some("en"))
    );
    assert_eq!(transcript["segments"][0]["text"], "Hello, I would like a refund.");
    assert_eq!(
        (
            transcript["segments"][1]["start_ms"].as_i64(),
            transcript["segments"][1]["end_ms"].as_i64()
        ),
        (Some(2100), Some(4000))
    );
    let confidence = transcript["segments"][0]["confidence"].as_f64().expect("confidence");
    assert!((confidence - (-0.2_f64).exp()).abs() < 1e-9);
    let hits = setup.get(&app, "/api/v1/search?q=refund").send().await;
    assert_eq!(hits.expect(200)["data"][0]["recording_id"], id);
}
