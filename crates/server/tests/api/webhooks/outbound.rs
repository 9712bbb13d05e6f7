//! `POST /calls/outbound` with a Twilio integration, placed through a local server answering
//! as Twilio's API does (it checks the method, path, basic auth and form, and answers with
//! Twilio's documented bodies), then Twilio's status callbacks for the call, signed by the
//! twilio package: before or after the placing request is written, one call.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use base64::Engine;
use callbase_app::egress::AllowEntry;
use serde_json::{Value, json};

use super::twilio::{ACCOUNT, AUTH_TOKEN, callback, form, twilio};
use super::{Connected, twilio_signature};
use crate::helpers::{TestApp, both_databases, spawn_app_with};

both_databases!(
    an_outbound_call_is_placed_through_a_local_server_answering_as_twilio,
    a_status_callback_overtaking_the_local_twilio_answer_ends_in_the_same_call,
    a_blocked_number_never_reaches_the_local_twilio_stand_in,
    placing_needs_twiml_a_from_number_a_twilio_integration_and_the_public_url,
    refusals_by_the_local_twilio_stand_in_are_502_and_store_nothing,
);

/// What the server calls itself (`CALLBASE_PUBLIC_URL`): Twilio signs its callbacks for it.
const PUBLIC_URL: &str = "http://public.example";
const TO: &str = "+14155551212";
const FROM: &str = "+14155552345";
/// The number Twilio's test credentials answer 21211 for; the stand-in does the same.
const INVALID_TO: &str = "+15005550001";
const TWIML: &str = "<Response><Say>Your order has shipped.</Say></Response>";

/// One request the stand-in received.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    path: String,
    authorization: Option<String>,
    form: Vec<(String, String)>,
}

/// A local server answering `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` as Twilio
/// does: 404 elsewhere, 401 without the account's basic credentials, 400 with code 21211 for
/// [`INVALID_TO`], otherwise 201 with a call resource and a fresh `CA…` SID. Once `overtake`
/// holds callbase's address, it first delivers the call's signed `initiated` status callback
/// to the `StatusCallback` it was given, as Twilio may before its answer arrives.
struct TwilioStandIn {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    overtake: Arc<OnceLock<SocketAddr>>,
}

impl TwilioStandIn {
    async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let overtake = Arc::new(OnceLock::new());
        let (log, callbase) = (Arc::clone(&received), Arc::clone(&overtake));
        let api = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (log, callbase) = (Arc::clone(&log), Arc::clone(&callbase));
                async move {
                    let request = Received {
                        method,
                        path: uri.path().to_owned(),
                        authorization: headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                        form: serde_urlencoded::from_bytes(&body).unwrap_or_default(),
                    };
                    log.lock().expect("log").push(request.clone());
                    answer(&request, callbase.get().copied()).await
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, api).await });
        Self { url, received, overtake }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }
}

fn basic_auth() -> String {
    let credentials = format!("{ACCOUNT}:{AUTH_TOKEN}");
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
}

/// Twilio's answer to one request.
async fn answer(request: &Received, callbase: Option<SocketAddr>) -> (StatusCode, String) {
    let error = |status: StatusCode, code: u32, message: &str| {
        let body = json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        });
        (status, body.to_string())
    };
    let calls = format!("/2010-04-01/Accounts/{ACCOUNT}/Calls.json");
    if request.method != Method::POST || request.path != calls {
        return error(StatusCode::NOT_FOUND, 20404, "The requested resource was not found");
    }
    if request.authorization.as_deref() != Some(basic_auth().as_str()) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let field = |name: &str| {
        request.form.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
    };
    let to = field("To").unwrap_or_default();
    if to == INVALID_TO {
        let message = format!("The 'To' number {to} is not a valid phone number.");
        return error(StatusCode::BAD_REQUEST, 21211, &message);
    }
    let sid = format!("CA{}", uuid::Uuid::now_v7().simple());
    if let (Some(callbase), Some(hook)) = (callbase, field("StatusCallback")) {
        deliver_initiated(callbase, &hook, &sid).await;
    }
    (StatusCode::CREATED, call_resource(&sid, &to, &field("From").unwrap_or_default()).to_string())
}

/// Twilio's call resource as `Calls.json` answers a new call (its API reference's example).
fn call_resource(sid: &str, to: &str, from: &str) -> Value {
    let uri = format!("/2010-04-01/Accounts/{ACCOUNT}/Calls/{sid}");
    json!({
        "account_sid": ACCOUNT, "annotation": null, "answered_by": null,
        "api_version": "2010-04-01", "caller_name": null,
        "date_created": "Tue, 10 Nov 2026 18:47:10 +0000",
        "date_updated": "Tue, 10 Nov 2026 18:47:10 +0000",
        "direction": "outbound-api", "duration": null, "end_time": null,
        "forwarded_from": null, "from": from, "from_formatted": "(415) 555-2345",
        "group_sid": null, "parent_call_sid": null,
        "phone_number_sid": "PN0123456789abcdef0123456789abcdef", "price": null,
        "price_unit": "USD", "sid": sid, "start_time": null, "status": "queued",
        "subresource_uris": {
            "notifications": format!("{uri}/Notifications.json"),
            "recordings": format!("{uri}/Recordings.json"),
        },
        "to": to, "to_formatted": "(415) 555-1212", "trunk_sid": null,
        "uri": format!("{uri}.json"), "queue_time": "0",
    })
}

/// Posts the `initiated` callback for `sid` to callbase at the path of `hook`, signed for
/// `hook` itself (under the public URL), as Twilio signs what it requests.
async fn deliver_initiated(callbase: SocketAddr, hook: &str, sid: &str) {
    let fields = callback(sid, "initiated", 0, &twilio_time(0));
    let path = hook.strip_prefix(PUBLIC_URL).expect("a hook under the public URL").to_owned();
    let (url, signed) = (hook.to_owned(), fields.clone());
    let signature =
        tokio::task::spawn_blocking(move || twilio_signature(AUTH_TOKEN, &url, &signed))
            .await
            .expect("signed");
    let reply = reqwest::Client::new()
        .post(format!("http://{callbase}{path}"))
        .header("x-twilio-signature", signature)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&fields))
        .send()
        .await
        .expect("callbase answers");
    assert_eq!(reply.status(), 200, "the overtaking callback is taken");
}

/// Twilio's time (RFC 2822, whole seconds) `seconds` from now.
fn twilio_time(seconds: i64) -> String {
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(seconds);
    jiff::fmt::rfc2822::to_string(&at.to_zoned(jiff::tz::TimeZone::UTC)).expect("a time")
}

/// A server that calls itself [`PUBLIC_URL`] and reaches Twilio at the stand-in.
async fn app_with_twilio(app: &TestApp, twilio: &TwilioStandIn) -> TestApp {
    spawn_app_with(app.backend, |s| {
        s.egress_allow = vec![AllowEntry::parse("127.0.0.1").expect("entry")];
        s.twilio_api_url = twilio.url.clone();
        s.public_url = Some(PUBLIC_URL.to_owned());
    })
    .await
}

/// Posts a status callback signed, as Twilio signs it, for the public URL of `path`.
async fn deliver(app: &TestApp, path: &str, fields: &[(String, String)]) -> crate::helpers::Reply {
    let signature = twilio_signature(AUTH_TOKEN, &format!("{PUBLIC_URL}{path}"), fields);
    app.post(path)
        .header("x-twilio-signature", &signature)
        .body("application/x-www-form-urlencoded", form(fields))
        .send()
        .await
}

async fn place(app: &TestApp, desk: &Connected, body: &Value) -> crate::helpers::Reply {
    app.post("/api/v1/calls/outbound")
        .token(&desk.token)
        .header("x-workspace-id", &desk.workspace)
        .json(body)
        .send()
        .await
}

fn outbound(desk: &Connected) -> Value {
    json!({
        "to_number": TO,
        "from_number": FROM,
        "integration_id": desk.id(),
        "twiml": TWIML,
    })
}

async fn calls(app: &TestApp, desk: &Connected) -> Vec<Value> {
    let page = desk.get(app, "/api/v1/calls").await;
    page["data"].as_array().expect("calls").clone()
}

async fn an_outbound_call_is_placed_through_a_local_server_answering_as_twilio(app: TestApp) {
    let stand_in = TwilioStandIn::start().await;
    let app = app_with_twilio(&app, &stand_in).await;
    let desk = twilio(&app, "ops@twilio.example").await;
    let lead = uuid::Uuid::now_v7().to_string();
    let mut body = outbound(&desk);
    body["record"] = json!(true);
    body["lead_id"] = json!(lead);
    body["notes"] = json!("Follow-up on the quote");
    let reply = place(&app, &desk, &body).await;
    let placed = reply.expect(201).clone();

    let received = stand_in.received();
    assert_eq!(received.len(), 1, "one request to Twilio");
    let request = &received[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, format!("/2010-04-01/Accounts/{ACCOUNT}/Calls.json"));
    assert_eq!(request.authorization.as_deref(), Some(basic_auth().as_str()));
    let hooks = &desk.integration["webhook_urls"];
    let expected: Vec<(String, String)> = [
        ("To", TO),
        ("From", FROM),
        ("Twiml", TWIML),
        ("StatusCallback", hooks["status_callback"].as_str().expect("voice")),
        ("StatusCallbackMethod", "POST"),
        ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "ringing"),
        ("StatusCallbackEvent", "answered"),
        ("StatusCallbackEvent", "completed"),
        ("Record", "true"),
        ("RecordingStatusCallback", hooks["recording_status_callback"].as_str().expect("rec")),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    assert_eq!(request.form, expected);
    assert_eq!(
        expected[3].1,
        format!("{PUBLIC_URL}{}", desk.hook("twilio/voice")),
        "the status callback is our voice webhook under the public URL"
    );

    let sid = placed["external_id"].as_str().expect("Twilio's call SID").to_owned();
    assert!(sid.starts_with("CA") && sid.len() == 34, "{sid}");
    assert_eq!(placed["source"], "twilio");
    assert_eq!(placed["status"], "initiated");
    assert_eq!(placed["direction"], "outbound");
    assert_eq!(
        (placed["to_number"].as_str(), placed["from_number"].as_str()),
        (Some(TO), Some(FROM))
    );
    assert!(placed["user_id"].is_string(), "placed by the caller");
    assert_eq!(placed["lead_id"], json!(lead));
    assert_eq!(placed["notes"], "Follow-up on the quote");

    let voice = desk.hook("twilio/voice");
    for fields in [
        callback(&sid, "ringing", 1, &twilio_time(2)),
        callback(&sid, "completed", 3, &twilio_time(40)),
    ] {
        let reply = deliver(&app, &voice, &fields).await;
        let taken = reply.expect(200);
        assert_eq!(taken["call_id"], placed["id"], "the status callbacks move the placed call");
        assert_eq!(taken["duplicate"], false);
    }
    let calls = calls(&app, &desk).await;
    assert_eq!(calls.len(), 1, "one call");
    let call = desk
        .get(&app, &format!("/api/v1/calls/{}", placed["id"].as_str().unwrap_or_default()))
        .await;
    assert_eq!(call["status"], "completed");
    assert_eq!(call["user_id"], placed["user_id"]);
    assert_eq!(call["lead_id"], json!(lead));
    assert_eq!(call["notes"], "Follow-up on the quote");
    let statuses: Vec<&str> = call["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["data"]["status"].as_str())
        .collect();
    assert_eq!(statuses, ["initiated", "ringing", "completed"]);
    assert_eq!(call["raw"][0]["sid"], json!(sid), "Twilio's answer is kept first");
    assert_eq!(call["raw"].as_array().map(Vec::len), Some(3));
}

async fn a_status_callback_overtaking_the_local_twilio_answer_ends_in_the_same_call(app: TestApp) {
    let stand_in = TwilioStandIn::start().await;
    let app = app_with_twilio(&app, &stand_in).await;
    stand_in.overtake.set(app.addr).expect("once");
    let desk = twilio(&app, "ops@twilio.example").await;
    let lead = uuid::Uuid::now_v7().to_string();
    let mut body = outbound(&desk);
    body["lead_id"] = json!(lead);
    let reply = place(&app, &desk, &body).await;
    // The `initiated` callback logged the call before Twilio's answer came back.
    let placed = reply.expect(200).clone();
    assert_eq!(placed["source"], "twilio");
    assert!(placed["user_id"].is_string(), "the placing request still links its user");
    assert_eq!(placed["lead_id"], json!(lead));
    let sid = placed["external_id"].as_str().expect("sid").to_owned();
    let completed = callback(&sid, "completed", 3, &twilio_time(40));
    let taken = deliver(&app, &desk.hook("twilio/voice"), &completed).await;
    assert_eq!(taken.expect(200)["call_id"], placed["id"]);
    let calls = calls(&app, &desk).await;
    assert_eq!(calls.len(), 1, "one call, whichever was written first");
    assert_eq!(calls[0]["status"], "completed");
    assert_eq!(calls[0]["user_id"], placed["user_id"]);
}

async fn a_blocked_number_never_reaches_the_local_twilio_stand_in(app: TestApp) {
    let stand_in = TwilioStandIn::start().await;
    let app = app_with_twilio(&app, &stand_in).await;
    let desk = twilio(&app, "ops@twilio.example").await;
    app.post("/api/v1/blocklist")
        .token(&desk.token)
        .header("x-workspace-id", &desk.workspace)
        .json(&json!({ "pattern": TO, "reason": "asked not to be called" }))
        .send()
        .await
        .expect(201);
    let reply = place(&app, &desk, &outbound(&desk)).await;
    let body = reply.expect_error(403, "number_blocked");
    assert_eq!(body["error"]["details"]["number"], TO);
    assert!(stand_in.received().is_empty(), "nothing was sent to Twilio");
    assert!(calls(&app, &desk).await.is_empty(), "nothing stored");
}

async fn placing_needs_twiml_a_from_number_a_twilio_integration_and_the_public_url(app: TestApp) {
    // This server has no public URL: Twilio could not reach the status callback.
    let desk = twilio(&app, "ops@twilio.example").await;
    let refused = place(&app, &desk, &outbound(&desk)).await;
    let body = refused.expect_error(409, "public_url_required");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("CALLBASE_PUBLIC_URL")));

    let field = |reply: &crate::helpers::Reply| {
        reply.expect_error(422, "validation_failed")["error"]["details"]["field"].clone()
    };
    let mut neither = outbound(&desk);
    neither.as_object_mut().expect("object").remove("twiml");
    assert_eq!(field(&place(&app, &desk, &neither).await), "twiml");
    let mut both = outbound(&desk);
    both["answer_url"] = json!("https://example.com/answer.xml");
    assert_eq!(field(&place(&app, &desk, &both).await), "twiml");
    let mut ftp = neither.clone();
    ftp["answer_url"] = json!("ftp://example.com/answer.xml");
    assert_eq!(field(&place(&app, &desk, &ftp).await), "answer_url");
    let mut long = outbound(&desk);
    long["twiml"] = json!("x".repeat(4001));
    assert_eq!(field(&place(&app, &desk, &long).await), "twiml");
    let mut anonymous = outbound(&desk);
    anonymous.as_object_mut().expect("object").remove("from_number");
    assert_eq!(field(&place(&app, &desk, &anonymous).await), "from_number");
    let mut named = outbound(&desk);
    named["external_id"] = json!("mine");
    assert_eq!(field(&place(&app, &desk, &named).await), "external_id");
    let loose = json!({ "to_number": TO, "twiml": TWIML });
    assert_eq!(field(&place(&app, &desk, &loose).await), "twiml", "twiml needs an integration");

    // Another workspace's Twilio integration, and this workspace's Placetel one: 404.
    let other = twilio(&app, "ops@other.example").await;
    let mut crossed = outbound(&desk);
    crossed["integration_id"] = json!(other.id());
    place(&app, &desk, &crossed).await.expect_error(404, "integration_not_found");
    let placetel = app
        .post("/api/v1/integrations")
        .token(&desk.token)
        .header("x-workspace-id", &desk.workspace)
        .json(&json!({ "type": "placetel", "name": "Placetel" }))
        .send()
        .await;
    let mut wrong_kind = outbound(&desk);
    wrong_kind["integration_id"] = placetel.expect(201)["id"].clone();
    place(&app, &desk, &wrong_kind).await.expect_error(404, "integration_not_found");
    assert!(calls(&app, &desk).await.is_empty(), "nothing stored");

    // Without an integration nothing changed: the call is only logged.
    let logged = place(&app, &desk, &json!({ "to_number": TO })).await;
    let logged = logged.expect(201);
    assert_eq!(
        (logged["source"].as_str(), logged["status"].as_str()),
        (Some("api"), Some("initiated"))
    );
}

async fn refusals_by_the_local_twilio_stand_in_are_502_and_store_nothing(app: TestApp) {
    let stand_in = TwilioStandIn::start().await;
    let placing = app_with_twilio(&app, &stand_in).await;
    let desk = twilio(&placing, "ops@twilio.example").await;
    let mut invalid = outbound(&desk);
    invalid["to_number"] = json!(INVALID_TO);
    let reply = place(&placing, &desk, &invalid).await;
    let body = reply.expect_error(502, "upstream_failed");
    let details = &body["error"]["details"];
    assert_eq!(details["provider"], "twilio");
    assert_eq!(details["integration_id"], desk.integration["id"]);
    assert_eq!((details["status"].as_u64(), details["code"].as_u64()), (Some(400), Some(21211)));
    assert!(details["message"].as_str().is_some_and(|m| m.contains(INVALID_TO)), "{details}");
    assert_eq!(details["more_info"], "https://www.twilio.com/docs/errors/21211");
    assert!(calls(&placing, &desk).await.is_empty(), "nothing stored");

    // A wrong auth token: Twilio answers 401, and the message points at the credentials.
    let wrong = Connected::new(
        &placing,
        "ops@wrong.example",
        json!({
            "type": "twilio",
            "name": "Twilio",
            "config": { "account_sid": ACCOUNT },
            "secrets": { "auth_token": "not-the-auth-token-at-all-000000" },
        }),
    )
    .await;
    let reply = place(&placing, &wrong, &outbound(&wrong)).await;
    let body = reply.expect_error(502, "upstream_failed");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("auth token")), "{body}");
    assert_eq!(stand_in.received().len(), 2);

    // Twilio's API on an address the egress policy refuses: nothing is sent.
    let unreachable = spawn_app_with(app.backend, |s| {
        s.twilio_api_url = stand_in.url.clone();
        s.public_url = Some(PUBLIC_URL.to_owned());
    })
    .await;
    let desk = twilio(&unreachable, "ops@twilio.example").await;
    place(&unreachable, &desk, &outbound(&desk)).await.expect_error(403, "destination_refused");
    assert_eq!(stand_in.received().len(), 2, "the egress client refused before connecting");
    assert!(calls(&unreachable, &desk).await.is_empty());
}
