//! Placetel's Notify API, a SIP server's and a recorder's signed JSON events: realistic
//! payloads, signatures computed by Python's `hmac`, replays and forgeries refused.

use axum::Router;
use axum::routing::get;
use callbase_app::egress::AllowEntry;
use serde_json::{Value, json};

use super::{Connected, callbase_signature, placetel_signature, unix_now};
use crate::helpers::{TestApp, both_databases, spawn_app_with, wav_bytes};

both_databases!(
    placetel_events_log_inbound_and_outbound_calls,
    sip_events_map_response_codes_to_outcomes,
    signed_events_outside_five_minutes_are_refused,
    a_recorder_event_fetches_the_file_through_the_egress_client,
);

async fn placetel_events_log_inbound_and_outbound_calls(app: TestApp) {
    let desk = Connected::new(
        &app,
        "ops@placetel.example",
        json!({ "type": "placetel", "name": "Placetel" }),
    )
    .await;
    let secret =
        desk.integration["secrets"]["shared_secret"].as_str().expect("shown once").to_owned();
    assert_eq!(desk.health(&app).await.get("secrets"), None, "never shown again");
    let path = desk.hook("placetel");
    let post = |body: String, signature: String| {
        let app = &app;
        let path = path.clone();
        async move {
            app.post(&path)
                .header("x-placetel-signature", &signature)
                .body("application/x-www-form-urlencoded", body)
                .send()
                .await
        }
    };
    let events = [
        "event=IncomingCall&from=%2B4930123456&to=%2B4940999888&call_id=e5a1c2d3&peer=777712345%40fpbx.de",
        "event=CallAccepted&from=%2B4930123456&to=%2B4940999888&call_id=e5a1c2d3&peer=777712345%40fpbx.de",
        "event=HungUp&from=%2B4930123456&to=%2B4940999888&call_id=e5a1c2d3&type=accepted&duration=42&direction=in",
        "event=IncomingCall&from=anonymous&to=%2B4940999888&call_id=f00d",
        "event=HungUp&from=anonymous&to=%2B4940999888&call_id=f00d&type=voicemail&duration=0&direction=in",
        "event=OutgoingCall&from=777712345%40fpbx.de&to=%2B4989555111&call_id=0ut1",
        "event=HungUp&from=777712345%40fpbx.de&to=%2B4989555111&call_id=0ut1&type=busy&duration=0&direction=out",
    ];
    for body in events {
        let signature = placetel_signature(&secret, body);
        post(body.to_owned(), signature).await.expect(200);
    }
    // Uppercase hex is the same signature; a forged one is refused and counted.
    let replay = events[2].to_owned();
    let upper = placetel_signature(&secret, &replay).to_uppercase();
    assert_eq!(post(replay.clone(), upper).await.expect(200)["duplicate"], true);
    post(replay, "00".repeat(32)).await.expect_error(403, "invalid_signature");

    let calls = desk.get(&app, "/api/v1/calls?source=placetel").await;
    let by_id = |external: &str| -> Value {
        calls["data"]
            .as_array()
            .and_then(|calls| calls.iter().find(|c| c["external_id"] == external).cloned())
            .unwrap_or_default()
    };
    let answered = by_id("e5a1c2d3");
    assert_eq!(
        (answered["status"].as_str(), answered["direction"].as_str()),
        (Some("completed"), Some("inbound"))
    );
    assert_eq!(answered["talk_seconds"], 42);
    let voicemail = by_id("f00d");
    assert_eq!(voicemail["status"], "missed");
    assert_eq!(voicemail["from_number"], "anonymous", "kept as written");
    assert_eq!(voicemail["end_reason"], "voicemail");
    let busy = by_id("0ut1");
    assert_eq!(
        (busy["status"].as_str(), busy["direction"].as_str()),
        (Some("busy"), Some("outbound"))
    );
    assert_eq!(busy["from_number"], "777712345@fpbx.de", "a SIP id is kept as written");
    let health = desk.health(&app).await;
    assert_eq!(
        (health["events_received"].as_u64(), health["signature_failures"].as_u64()),
        (Some(8), Some(1))
    );
}

async fn sip(app: &TestApp) -> (Connected, String) {
    let desk =
        Connected::new(app, "pbx@sip.example", json!({ "type": "sip_webhook", "name": "PBX" }))
            .await;
    let secret =
        desk.integration["secrets"]["signing_secret"].as_str().expect("shown once").to_owned();
    (desk, secret)
}

async fn send_signed(
    app: &TestApp,
    path: &str,
    secret: &str,
    body: &Value,
    t: i64,
) -> crate::helpers::Reply {
    let body = body.to_string();
    let signature = callbase_signature(secret, &body, t);
    app.post(path)
        .header("x-callbase-signature", &signature)
        .body("application/json", body)
        .send()
        .await
}

async fn sip_events_map_response_codes_to_outcomes(app: TestApp) {
    let (desk, secret) = sip(&app).await;
    let path = desk.hook("sip");
    let event = |event: &str, call_id: &str, code: Option<u16>, at: &str| {
        let mut body = json!({
            "event": event,
            "sip_call_id": call_id,
            "direction": "inbound",
            "from_number": "+49 30 1234567",
            "to_number": "23",
            "at": at,
        });
        if let Some(code) = code {
            body["sip_code"] = json!(code);
        }
        body
    };
    for (call_id, code, expected) in [
        ("busy@pbx", 486, "busy"),
        ("declined@pbx", 600, "busy"),
        ("unanswered@pbx", 480, "missed"),
        ("timeout@pbx", 408, "missed"),
        ("canceled@pbx", 487, "canceled"),
        ("failed@pbx", 503, "failed"),
    ] {
        let ringing = event("call.ringing", call_id, None, "2026-11-10T09:00:00Z");
        send_signed(&app, &path, &secret, &ringing, unix_now()).await.expect(200);
        let ended = event("call.ended", call_id, Some(code), "2026-11-10T09:00:20Z");
        let reply = send_signed(&app, &path, &secret, &ended, unix_now()).await;
        assert_eq!(reply.expect(200)["status"], expected, "{code}");
    }
    let answered = event("call.answered", "ok@pbx", None, "2026-11-10T09:01:05Z");
    send_signed(&app, &path, &secret, &answered, unix_now()).await.expect(200);
    let ended = event("call.ended", "ok@pbx", Some(200), "2026-11-10T09:02:05Z");
    let call = send_signed(&app, &path, &secret, &ended, unix_now()).await.expect(200).clone();
    assert_eq!(call["status"], "completed");
    let detail = desk
        .get(&app, &format!("/api/v1/calls/{}", call["call_id"].as_str().unwrap_or_default()))
        .await;
    assert_eq!(detail["sip_call_id"], "ok@pbx");
    assert_eq!(detail["source"], "sip");
    assert_eq!(detail["from_number"], "+49301234567");
    assert_eq!(detail["talk_seconds"], 60);
    // Not JSON, unknown members, bad codes: 422 naming what is wrong, nothing stored.
    let mut unknown = event("call.ringing", "x@pbx", None, "2026-11-10T09:00:00Z");
    unknown["colour"] = json!("red");
    let reply = send_signed(&app, &path, &secret, &unknown, unix_now()).await;
    assert_eq!(reply.expect_error(422, "validation_failed")["error"]["details"]["field"], "colour");
    let bad_code = event("call.ended", "x@pbx", Some(99), "2026-11-10T09:00:00Z");
    let reply = send_signed(&app, &path, &secret, &bad_code, unix_now()).await;
    assert_eq!(
        reply.expect_error(422, "validation_failed")["error"]["details"]["field"],
        "sip_code"
    );
    let calls = desk.get(&app, "/api/v1/calls?source=sip&limit=100").await;
    assert_eq!(calls["data"].as_array().map(Vec::len), Some(7));
}

async fn signed_events_outside_five_minutes_are_refused(app: TestApp) {
    let (desk, secret) = sip(&app).await;
    let path = desk.hook("sip");
    let body = json!({
        "event": "call.started", "sip_call_id": "late@pbx", "direction": "outbound",
        "from_number": "21", "to_number": "+4989555111",
    });
    // Well outside the window, so that a second ticking over mid-test changes nothing.
    for t in [unix_now() - 330, unix_now() + 330] {
        send_signed(&app, &path, &secret, &body, t).await.expect_error(403, "invalid_signature");
    }
    send_signed(&app, &path, "cbsec_wrong", &body, unix_now())
        .await
        .expect_error(403, "invalid_signature");
    send_signed(&app, &path, &secret, &body, unix_now() - 200).await.expect(200);
    // Rotation: the old secret stops verifying at once, the new one is shown once.
    let rotated = app
        .put(&format!("/api/v1/integrations/{}/secrets", desk.id()))
        .token(&desk.token)
        .header("x-workspace-id", &desk.workspace)
        .json(&json!({}))
        .send()
        .await;
    let fresh = rotated.expect(200)["secrets"]["signing_secret"].as_str().expect("new").to_owned();
    assert_ne!(fresh, secret);
    send_signed(&app, &path, &secret, &body, unix_now())
        .await
        .expect_error(403, "invalid_signature");
    let again = send_signed(&app, &path, &fresh, &body, unix_now()).await;
    assert_eq!(again.expect(200)["duplicate"], true);
    let health = desk.health(&app).await;
    assert_eq!(health["signature_failures"], 4);
    assert_eq!(health["last_signature_failure_reason"].as_str().map(str::is_empty), Some(false));
}

async fn a_recorder_event_fetches_the_file_through_the_egress_client(app: TestApp) {
    let files = Router::new().route("/rec/ok@pbx.wav", get(|| async { wav_bytes(1500) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, files).await });

    // Without an allow-list the egress client refuses the loopback server: recorded as failed.
    for allowed in [false, true] {
        let app = spawn_app_with(app.backend, |s| {
            if allowed {
                s.egress_allow = vec![AllowEntry::parse("127.0.0.1").expect("entry")];
            }
        })
        .await;
        let (pbx, sip_secret) = sip(&app).await;
        let ended = json!({
            "event": "call.ended", "sip_call_id": "ok@pbx", "direction": "inbound",
            "from_number": "+4930123", "to_number": "23", "sip_code": 200,
        });
        send_signed(&app, &pbx.hook("sip"), &sip_secret, &ended, unix_now()).await.expect(200);
        let recorder = app
            .post("/api/v1/integrations")
            .token(&pbx.token)
            .header("x-workspace-id", &pbx.workspace)
            .json(&json!({ "type": "recorder", "name": "Recorder" }))
            .send()
            .await;
        let recorder = recorder.expect(201).clone();
        let secret = recorder["secrets"]["signing_secret"].as_str().expect("secret");
        let path = format!(
            "/api/v1/webhooks/{}/{}/recorder",
            pbx.workspace,
            recorder["id"].as_str().unwrap_or_default()
        );
        let completed = json!({
            "event": "recording.completed", "sip_call_id": "ok@pbx", "recording_id": "r-1",
            "file_url": format!("{base}/rec/ok@pbx.wav"), "duration_ms": 1500,
        });
        let taken = send_signed(&app, &path, secret, &completed, unix_now()).await;
        let taken = taken.expect(200).clone();
        if allowed {
            assert_eq!(taken["status"], "completed", "{taken}");
            let id = taken["recording_id"].as_str().expect("id");
            let stored = pbx.get(&app, &format!("/api/v1/recordings/{id}")).await;
            assert_eq!(
                (stored["format"].as_str(), stored["duration_ms"].as_i64()),
                (Some("wav"), Some(1500))
            );
        } else {
            assert_eq!(taken["status"], "failed", "{taken}");
            assert!(
                taken["failure"].as_str().is_some_and(|f| f.contains("not allowed")),
                "{taken}"
            );
        }
        let unknown_call = json!({ "event": "recording.completed", "sip_call_id": "nobody@pbx", "file_url": format!("{base}/x.wav") });
        send_signed(&app, &path, secret, &unknown_call, unix_now())
            .await
            .expect_error(404, "call_not_found");
    }
}
