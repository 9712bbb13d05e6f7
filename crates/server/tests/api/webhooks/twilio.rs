//! Twilio status and recording callbacks, signed by the twilio package, delivered late, out
//! of order and twice; recordings fetched with the account's credentials from a local server
//! answering as Twilio's API does.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use base64::Engine;
use callbase_app::egress::AllowEntry;
use serde_json::{Value, json};

use super::{Connected, twilio_signature};
use crate::helpers::{TestApp, both_databases, spawn_app_with, wav_bytes};

both_databases!(
    status_callbacks_make_one_call_whatever_their_order,
    unsigned_and_missigned_callbacks_are_refused_and_counted,
    a_completed_recording_is_fetched_from_a_local_server_answering_as_twilio,
);

pub(super) const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub(super) const AUTH_TOKEN: &str = "12345678901234567890123456789012";

pub(super) async fn twilio(app: &TestApp, email: &str) -> Connected {
    let body = json!({
        "type": "twilio",
        "name": "Twilio",
        "config": { "account_sid": ACCOUNT },
        "secrets": { "auth_token": AUTH_TOKEN },
    });
    Connected::new(app, email, body).await
}

/// A voice status callback as Twilio posts it (its documentation's fields).
pub(super) fn callback(
    call_sid: &str,
    status: &str,
    sequence: u32,
    at: &str,
) -> Vec<(String, String)> {
    let mut fields = vec![
        ("AccountSid", ACCOUNT.to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("CallSid", call_sid.to_owned()),
        ("CallStatus", status.to_owned()),
        ("CallbackSource", "call-progress-events".to_owned()),
        ("Called", "+14155551212".to_owned()),
        ("CalledCity", "SAN FRANCISCO".to_owned()),
        ("CalledCountry", "US".to_owned()),
        ("Caller", "+14155552345".to_owned()),
        ("CallerCountry", "US".to_owned()),
        ("Direction", "outbound-api".to_owned()),
        ("From", "+14155552345".to_owned()),
        ("SequenceNumber", sequence.to_string()),
        ("Timestamp", at.to_owned()),
        ("To", "+14155551212".to_owned()),
        ("ToCountry", "US".to_owned()),
    ];
    if status == "completed" {
        fields.push(("CallDuration", "30".to_owned()));
        fields.push(("Duration", "1".to_owned()));
    }
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub(super) fn form(fields: &[(String, String)]) -> String {
    serde_urlencoded::to_string(fields).expect("form")
}

/// Posts a callback signed as Twilio signs it; answers the reply.
async fn deliver(
    app: &TestApp,
    path: &str,
    fields: &[(String, String)],
    token: &str,
) -> crate::helpers::Reply {
    let signature = twilio_signature(token, &app.url(path), fields);
    app.post(path)
        .header("x-twilio-signature", &signature)
        .body("application/x-www-form-urlencoded", form(fields))
        .send()
        .await
}

async fn status_callbacks_make_one_call_whatever_their_order(app: TestApp) {
    let desk = twilio(&app, "ops@twilio.example").await;
    let voice = desk.integration["webhook_urls"]["status_callback"].as_str().expect("url");
    assert!(voice.ends_with(&desk.hook("twilio/voice")), "{voice}");
    assert_eq!(desk.integration["auth_token_set"], true);
    assert!(!desk.integration.to_string().contains(AUTH_TOKEN), "the token is never answered");
    let path = desk.hook("twilio/voice");
    // The number called is on the do-not-call list: the call is flagged when created.
    app.post("/api/v1/blocklist")
        .token(&desk.token)
        .header("x-workspace-id", &desk.workspace)
        .json(&json!({ "pattern": "+14155551212" }))
        .send()
        .await
        .expect(201);
    let events = [
        callback("CAparent", "initiated", 0, "Tue, 10 Nov 2026 18:47:10 +0000"),
        callback("CAparent", "ringing", 1, "Tue, 10 Nov 2026 18:47:12 +0000"),
        callback("CAparent", "in-progress", 2, "Tue, 10 Nov 2026 18:47:20 +0000"),
        callback("CAparent", "completed", 3, "Tue, 10 Nov 2026 18:47:50 +0000"),
    ];
    for index in [3, 1, 0, 2] {
        let reply = deliver(&app, &path, &events[index], AUTH_TOKEN).await;
        assert_eq!(reply.expect(200)["duplicate"], false, "{index}");
    }
    for fields in &events {
        let again = deliver(&app, &path, fields, AUTH_TOKEN).await;
        assert_eq!(again.expect(200)["duplicate"], true, "a redelivery changes nothing");
    }
    // A leg Twilio dialled from the call.
    let mut child = callback("CAchild", "ringing", 0, "Tue, 10 Nov 2026 18:47:21 +0000");
    child.push(("ParentCallSid".to_owned(), "CAparent".to_owned()));
    deliver(&app, &path, &child, AUTH_TOKEN).await.expect(200);

    let calls = desk.get(&app, "/api/v1/calls?source=twilio&sort=started_at").await;
    let calls = calls["data"].as_array().expect("calls").clone();
    assert_eq!(calls.len(), 2, "one call per CallSid");
    let parent = calls.iter().find(|c| c["external_id"] == "CAparent").expect("parent");
    let detail = desk
        .get(&app, &format!("/api/v1/calls/{}", parent["id"].as_str().unwrap_or_default()))
        .await;
    assert_eq!(detail["status"], "completed");
    assert_eq!(detail["direction"], "outbound");
    assert_eq!(detail["from_number"], "+14155552345");
    assert_eq!(detail["blocked"], true, "its number is on the do-not-call list");
    assert_eq!(detail["started_at"].as_str().map(|t| &t[..19]), Some("2026-11-10T18:47:10"));
    assert_eq!(detail["answered_at"].as_str().map(|t| &t[..19]), Some("2026-11-10T18:47:20"));
    assert_eq!(detail["ended_at"].as_str().map(|t| &t[..19]), Some("2026-11-10T18:47:50"));
    let timeline = detail["timeline"].as_array().expect("timeline");
    let statuses: Vec<&str> =
        timeline.iter().filter_map(|e| e["data"]["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["initiated", "ringing", "in_progress", "completed"],
        "in time order, once each"
    );
    assert_eq!(detail["raw"].as_array().map(Vec::len), Some(4), "each payload kept once");
    assert_eq!(detail["raw"][0]["CallbackSource"], "call-progress-events");
    let legs = detail["legs"].as_array().expect("legs");
    assert_eq!(legs.len(), 1);
    assert_eq!(legs[0]["external_id"], "CAchild");
    assert_eq!(legs[0]["parent_call_id"], parent["id"]);

    let health = desk.health(&app).await;
    assert_eq!(health["events_received"], 9);
    assert!(health["last_event_at"].is_string());
    assert_eq!(health["signature_failures"], 0);
}

async fn unsigned_and_missigned_callbacks_are_refused_and_counted(app: TestApp) {
    let desk = twilio(&app, "ops@twilio.example").await;
    let path = desk.hook("twilio/voice");
    let fields = callback("CAforged", "completed", 3, "Tue, 10 Nov 2026 18:47:50 +0000");
    let forged = deliver(&app, &path, &fields, "not-the-auth-token-at-all-000000").await;
    forged.expect_error(403, "invalid_signature");
    let unsigned =
        app.post(&path).body("application/x-www-form-urlencoded", form(&fields)).send().await;
    unsigned.expect_error(403, "invalid_signature");
    // Signed for another URL (a misconfigured console): refused too.
    let signature = twilio_signature(AUTH_TOKEN, "https://elsewhere.example/hook", &fields);
    let moved = app
        .post(&path)
        .header("x-twilio-signature", &signature)
        .body("application/x-www-form-urlencoded", form(&fields))
        .send()
        .await;
    moved.expect_error(403, "invalid_signature");
    let calls = desk.get(&app, "/api/v1/calls").await;
    assert_eq!(calls["data"], json!([]), "nothing stored");
    let health = desk.health(&app).await;
    assert_eq!(health["signature_failures"], 3);
    assert_eq!(health["events_received"], 0);
    assert!(health["last_signature_failure_reason"].as_str().is_some_and(|r| !r.is_empty()));

    // Another workspace's integration id under this workspace, or the wrong kind: 404.
    let other = twilio(&app, "ops@other.example").await;
    let crossed = format!("/api/v1/webhooks/{}/{}/twilio/voice", desk.workspace, other.id());
    deliver(&app, &crossed, &fields, AUTH_TOKEN).await.expect_error(404, "integration_not_found");
    let wrong_kind = desk.hook("placetel");
    app.post(&wrong_kind)
        .body("application/x-www-form-urlencoded", "event=HungUp")
        .send()
        .await
        .expect_error(404, "integration_not_found");
    // A signed payload that is not a status callback: 422 naming the field, nothing stored.
    let mut broken = fields.clone();
    broken.retain(|(name, _)| name != "CallSid");
    let reply = deliver(&app, &path, &broken, AUTH_TOKEN).await;
    let body = reply.expect_error(422, "validation_failed");
    assert_eq!(body["error"]["details"]["field"], "CallSid");
}

/// Serves recordings as Twilio's API does: only with the account's basic credentials.
async fn twilio_api_stand_in() -> String {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{AUTH_TOKEN}"))
    );
    let path =
        format!("/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE0123456789abcdef0123456789abcdef.wav");
    let api = Router::new().route(
        &path,
        get(move |headers: HeaderMap| async move {
            let authorized = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|value| value == expected);
            if authorized {
                (StatusCode::OK, [("content-type", "audio/x-wav")], wav_bytes(2000))
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    [("content-type", "application/json")],
                    b"{\"code\":20003}".to_vec(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, api).await });
    url
}

async fn a_completed_recording_is_fetched_from_a_local_server_answering_as_twilio(app: TestApp) {
    let api = twilio_api_stand_in().await;
    let app = spawn_app_with(app.backend, |s| {
        s.egress_allow = vec![AllowEntry::parse("127.0.0.1").expect("entry")];
        s.twilio_api_url = api.clone();
    })
    .await;
    let desk = twilio(&app, "ops@twilio.example").await;
    let voice = desk.hook("twilio/voice");
    let fields = callback("CArecorded", "completed", 3, "Tue, 10 Nov 2026 18:47:50 +0000");
    deliver(&app, &voice, &fields, AUTH_TOKEN).await.expect(200);
    let recording_url = format!(
        "{api}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE0123456789abcdef0123456789abcdef"
    );
    let recording: Vec<(String, String)> = [
        ("AccountSid", ACCOUNT),
        ("CallSid", "CArecorded"),
        ("RecordingSid", "RE0123456789abcdef0123456789abcdef"),
        ("RecordingUrl", recording_url.as_str()),
        ("RecordingStatus", "completed"),
        ("RecordingDuration", "2"),
        ("RecordingChannels", "1"),
        ("RecordingSource", "OutboundAPI"),
        ("RecordingStartTime", "Tue, 10 Nov 2026 18:47:21 +0000"),
        ("ErrorCode", "0"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let hook = desk.integration["webhook_urls"]["recording_status_callback"].as_str().expect("url");
    assert!(hook.ends_with(&desk.hook("twilio/recording")));
    let reply = deliver(&app, &desk.hook("twilio/recording"), &recording, AUTH_TOKEN).await;
    let taken = reply.expect(200).clone();
    assert_eq!(taken["status"], "completed", "{taken}");
    let again = deliver(&app, &desk.hook("twilio/recording"), &recording, AUTH_TOKEN).await;
    assert_eq!(again.expect(200)["duplicate"], true);
    let id = taken["recording_id"].as_str().expect("recording");
    let stored: Value = desk.get(&app, &format!("/api/v1/recordings/{id}")).await;
    assert_eq!(stored["status"], "completed");
    assert_eq!(stored["format"], "wav", "{stored}");
    assert_eq!(stored["duration_ms"], 2000);
    let call = desk
        .get(&app, &format!("/api/v1/calls/{}", taken["call_id"].as_str().unwrap_or_default()))
        .await;
    assert_eq!(call["has_recording"], true);
    let recordings = desk.get(&app, "/api/v1/recordings").await;
    assert_eq!(recordings["data"].as_array().map(Vec::len), Some(1), "one recording, fetched once");

    // A recording URL on Twilio's host but another origin (here another port) is fetched
    // without the account's credentials.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen_here = seen.clone();
    let elsewhere = Router::new().fallback(move |headers: HeaderMap| {
        let seen = seen_here.clone();
        async move {
            seen.lock().expect("seen").push(headers.contains_key("authorization"));
            (StatusCode::OK, [("content-type", "audio/x-wav")], wav_bytes(1000))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let other = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, elsewhere).await });
    let fields = callback("CAelsewhere", "completed", 3, "Tue, 10 Nov 2026 18:49:50 +0000");
    deliver(&app, &voice, &fields, AUTH_TOKEN).await.expect(200);
    let mut moved = recording.clone();
    for (name, value) in &mut moved {
        match name.as_str() {
            "CallSid" => *value = "CAelsewhere".to_owned(),
            "RecordingSid" => *value = "RE1123456789abcdef0123456789abcdef".to_owned(),
            "RecordingUrl" => *value = format!("{other}/Recordings/RE1"),
            _ => {}
        }
    }
    let reply = deliver(&app, &desk.hook("twilio/recording"), &moved, AUTH_TOKEN).await;
    assert_eq!(reply.expect(200)["status"], "completed");
    assert_eq!(*seen.lock().expect("seen"), vec![false], "no credentials to another origin");
}
