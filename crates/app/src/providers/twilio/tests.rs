//! The client against local stand-ins for Twilio (`providers::stand_in`) answering as Twilio's
//! documentation shows.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::*;
use crate::providers::stand_in::{Answer, Canned, Seen, egress, stand_in};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
const CALL_SID: &str = "CAfedcba9876543210fedcba9876543210";

fn client(egress: Egress, api_base: &Url) -> TwilioClient {
    let sid = AccountSid::parse(SID).expect("an account SID");
    let token = AuthToken::new(TOKEN.to_owned()).expect("a token");
    TwilioClient::new(egress, sid, token).with_api_base(api_base.clone()).expect("an API base")
}

fn basic_auth() -> String {
    format!("Basic {}", STANDARD.encode(format!("{SID}:{TOKEN}")))
}

fn a_call() -> CreateCall {
    CreateCall {
        to: E164::parse("+14155551212", None).expect("a number"),
        from: "+14155552345".to_owned(),
        instructions: CallInstructions::Twiml(r#"<Response><Pause length="1"/></Response>"#.into()),
        status_callback: Url::parse("https://callbase.example/hooks/twilio/call").expect("URL"),
        status_callback_events: CallEvent::ALL.to_vec(),
        record: true,
        recording_status_callback: Some(
            Url::parse("https://callbase.example/hooks/twilio/recording").expect("URL"),
        ),
        timeout_seconds: Some(30),
    }
}

/// The call resource as Twilio's documentation shows it after `POST …/Calls.json`.
fn call_resource() -> serde_json::Value {
    let uri = format!("/2010-04-01/Accounts/{SID}/Calls/{CALL_SID}");
    json!({
        "account_sid": SID, "annotation": null, "answered_by": null,
        "api_version": "2010-04-01", "caller_name": null, "date_created": null,
        "date_updated": null, "direction": "outbound-api", "duration": null, "end_time": null,
        "forwarded_from": null, "from": "+14155552345", "from_formatted": "(415) 555-2345",
        "group_sid": null, "parent_call_sid": null,
        "phone_number_sid": "PN0123456789abcdef0123456789abcdef", "price": null,
        "price_unit": "USD", "sid": CALL_SID, "start_time": null, "status": "queued",
        "subresource_uris": {
            "feedback": format!("{uri}/Feedback.json"),
            "notifications": format!("{uri}/Notifications.json"),
            "recordings": format!("{uri}/Recordings.json"),
            "streams": format!("{uri}/Streams.json"),
            "payments": format!("{uri}/Payments.json"),
            "events": format!("{uri}/Events.json"),
            "siprec": format!("{uri}/Siprec.json"),
            "user_defined_messages": format!("{uri}/UserDefinedMessages.json"),
            "user_defined_message_subscriptions":
                format!("{uri}/UserDefinedMessageSubscriptions.json"),
            "feedback_summaries": format!("/2010-04-01/Accounts/{SID}/Calls/FeedbackSummary.json"),
        },
        "to": "+14155551212", "to_formatted": "(415) 555-1212", "trunk_sid": null,
        "uri": format!("{uri}.json"), "queue_time": "0",
    })
}

fn answering(status: u16, body: serde_json::Value) -> Answer {
    Arc::new(move |_| Canned::json(status, &body))
}

#[test]
fn account_sids_are_ac_and_32_hex_digits() {
    assert_eq!(AccountSid::parse(SID).map(|sid| sid.to_string()), Ok(SID.to_owned()));
    assert!(AccountSid::parse(&format!(" {SID}\n")).is_ok(), "surrounding space is trimmed");
    assert!(AccountSid::parse("AC0123456789ABCDEF0123456789ABCDEF").is_ok());
    for refused in [
        "",
        "AC",
        "CA0123456789abcdef0123456789abcdef",
        "AC0123456789abcdef0123456789abcde",
        "AC0123456789abcdef0123456789abcdef0",
        "AC0123456789abcdef0123456789abcdeg",
        "AC0123456789abcdef/../../Calls.json",
    ] {
        let err = AccountSid::parse(refused).expect_err(refused);
        assert!(matches!(err, TwilioError::Invalid { field: "account_sid", .. }), "{refused}");
    }
    assert!(AuthToken::new(String::new()).is_err());
    assert!(AuthToken::new("with space".to_owned()).is_err());
}

#[test]
fn debug_output_never_shows_the_auth_token() {
    let api = Url::parse("https://api.twilio.com").expect("URL");
    let shown = format!("{:?}", client(egress(&[]), &api));
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains(SID), "{shown}");
}

#[test]
fn api_bases_are_plain_http_urls() {
    let with = |raw: &str| {
        let sid = AccountSid::parse(SID).expect("SID");
        let token = AuthToken::new(TOKEN.to_owned()).expect("token");
        TwilioClient::new(egress(&[]), sid, token).with_api_base(Url::parse(raw).expect("URL"))
    };
    assert!(with("http://127.0.0.1:8080").is_ok());
    for refused in
        ["ftp://api.twilio.com", "https://user:pw@api.twilio.com", "https://api.twilio.com/?a=b"]
    {
        assert!(matches!(with(refused), Err(TwilioError::Invalid { field: "api_base", .. })));
    }
}

#[test]
fn calls_go_under_the_api_base_path() {
    let base = Url::parse("https://twilio.example/proxy/").expect("URL");
    let url = client(egress(&[]), &base).api_url(&["2010-04-01", "Accounts", SID, "Calls.json"]);
    assert_eq!(
        url.as_str(),
        format!("https://twilio.example/proxy/2010-04-01/Accounts/{SID}/Calls.json")
    );
}

#[test]
fn credentials_go_only_to_the_api_origin() {
    let twilio = client(egress(&[]), &Url::parse(DEFAULT_API_BASE).expect("URL"));
    let origin = |raw: &str| twilio.is_api_origin(&Url::parse(raw).expect("URL"));
    assert!(origin("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav"));
    assert!(origin("https://API.twilio.com:443/x"));
    for elsewhere in [
        "http://api.twilio.com/x",
        "https://api.twilio.com:8443/x",
        "https://api.twilio.com.evil.example/x",
        "https://media.twiliocdn.com/x",
        "https://evil.example/api.twilio.com",
    ] {
        assert!(!origin(elsewhere), "{elsewhere}");
    }
}

#[test]
fn inputs_are_checked_before_anything_is_sent() {
    let invalid = |call: &CreateCall| match call.form() {
        Err(TwilioError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let mut call = a_call();
    call.timeout_seconds = Some(0);
    assert_eq!(invalid(&call), "timeout_seconds");
    call.timeout_seconds = Some(601);
    assert_eq!(invalid(&call), "timeout_seconds");
    let mut call = a_call();
    call.instructions = CallInstructions::Twiml("x".repeat(4001));
    assert_eq!(invalid(&call), "twiml");
    call.instructions = CallInstructions::Url(Url::parse("ftp://x.example/a").expect("URL"));
    assert_eq!(invalid(&call), "url");
    let mut call = a_call();
    call.status_callback = Url::parse("mailto:ops@example.com").expect("URL");
    assert_eq!(invalid(&call), "status_callback");
    let mut call = a_call();
    call.from = " ".to_owned();
    assert_eq!(invalid(&call), "from");
}

#[tokio::test]
async fn create_call_against_a_local_server_answering_as_twilio_documents() {
    let (api, mut seen) = stand_in("127.0.0.1", answering(201, call_resource())).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    let mut call = a_call();
    call.status_callback_events.push(CallEvent::Completed);

    let created = twilio.create_call(&call).await.expect("a created call");

    assert_eq!(created.sid, CALL_SID);
    assert_eq!(created.status, "queued");
    assert_eq!(created.raw["to_formatted"], "(415) 555-1212");
    let request = seen.recv().await.expect("the request");
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, format!("/2010-04-01/Accounts/{SID}/Calls.json"));
    assert_eq!(request.header("authorization"), Some(basic_auth().as_str()));
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    let expected: Vec<(String, String)> = [
        ("To", "+14155551212"),
        ("From", "+14155552345"),
        ("Twiml", r#"<Response><Pause length="1"/></Response>"#),
        ("StatusCallback", "https://callbase.example/hooks/twilio/call"),
        ("StatusCallbackMethod", "POST"),
        ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "ringing"),
        ("StatusCallbackEvent", "answered"),
        ("StatusCallbackEvent", "completed"),
        ("Record", "true"),
        ("RecordingStatusCallback", "https://callbase.example/hooks/twilio/recording"),
        ("Timeout", "30"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    assert_eq!(request.form(), expected, "a repeated event is sent once");
}

#[tokio::test]
async fn a_call_by_url_sends_url_and_no_twiml() {
    let (api, mut seen) = stand_in("127.0.0.1", answering(201, call_resource())).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    let mut call = a_call();
    call.instructions =
        CallInstructions::Url(Url::parse("https://callbase.example/twiml/a").expect("URL"));
    call.record = false;
    call.recording_status_callback = None;
    call.timeout_seconds = None;
    twilio.create_call(&call).await.expect("a created call");
    let form = seen.recv().await.expect("the request").form();
    let value = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(value("Url"), Some("https://callbase.example/twiml/a"));
    assert_eq!(value("Record"), Some("false"));
    for absent in ["Twiml", "RecordingStatusCallback", "Timeout"] {
        assert_eq!(value(absent), None, "{absent}");
    }
}

#[tokio::test]
async fn a_400_from_a_local_stand_in_for_twilio_is_refused_with_twilios_code() {
    let body = json!({
        "code": 21211,
        "message": "Invalid 'To' Phone Number: +1415555XXXX",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    });
    let (api, _seen) = stand_in("127.0.0.1", answering(400, body)).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    let err = twilio.create_call(&a_call()).await.expect_err("a refusal");
    assert_eq!(
        err,
        TwilioError::Refused {
            status: 400,
            code: Some(21211),
            message: "Invalid 'To' Phone Number: +1415555XXXX".to_owned(),
            more_info: Some("https://www.twilio.com/docs/errors/21211".to_owned()),
        }
    );
}

#[tokio::test]
async fn a_4xx_without_twilios_error_body_is_still_a_refusal() {
    let answer: Answer =
        Arc::new(|_| Canned { status: 404, headers: vec![], body: b"<html/>".to_vec() });
    let (api, _seen) = stand_in("127.0.0.1", answer).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    let err = twilio.create_call(&a_call()).await.expect_err("a refusal");
    assert_eq!(
        err,
        TwilioError::Refused {
            status: 404,
            code: None,
            message: "Not Found".into(),
            more_info: None
        }
    );
}

#[tokio::test]
async fn a_401_from_a_local_stand_in_for_twilio_is_unauthorized() {
    let body = json!({
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    });
    let (api, _seen) = stand_in("127.0.0.1", answering(401, body)).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    assert_eq!(twilio.create_call(&a_call()).await, Err(TwilioError::Unauthorized));
}

#[tokio::test]
async fn a_5xx_or_a_malformed_201_from_a_local_stand_in_is_no_usable_answer() {
    let (api, _seen) = stand_in("127.0.0.1", answering(503, json!({"status": 503}))).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    assert_eq!(
        twilio.create_call(&a_call()).await,
        Err(TwilioError::Egress(EgressError::NoAnswer))
    );

    let (api, _seen) = stand_in("127.0.0.1", answering(201, json!({"status": "queued"}))).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    let err = twilio.create_call(&a_call()).await.expect_err("no sid");
    assert!(matches!(err, TwilioError::BadAnswer(_)), "{err:?}");
}

#[tokio::test]
async fn an_api_base_the_egress_policy_does_not_allow_is_refused_before_connecting() {
    let (api, mut seen) = stand_in("127.0.0.1", answering(201, call_resource())).await;
    let twilio = client(egress(&[]), &api);
    assert_eq!(twilio.create_call(&a_call()).await, Err(TwilioError::Egress(EgressError::Refused)));
    let recording = api.join("/2010-04-01/Accounts/AC1/Recordings/RE1.wav").expect("URL");
    let fetched = twilio.fetch_recording(&recording, 1024, Duration::from_secs(5)).await;
    assert_eq!(fetched.map(|_| ()), Err(TwilioError::Egress(EgressError::Refused)));
    assert!(seen.try_recv().is_err(), "the stand-in was never reached");
}

/// The stand-in for the API (127.0.0.1) serves `/direct.wav` itself and redirects
/// `/moved.wav` to a stand-in for a media host elsewhere (127.0.0.2); both are allow-listed.
#[tokio::test]
async fn recording_fetch_sends_credentials_only_to_the_local_stand_in_for_the_api_host() {
    let wav = |_: &Seen| Canned {
        status: 200,
        headers: vec![("Content-Type", "audio/x-wav".to_owned())],
        body: b"RIFF-and-so-on".to_vec(),
    };
    let (media, mut media_seen) = stand_in("127.0.0.2", Arc::new(wav)).await;
    let moved = media.join("/elsewhere.wav").expect("URL").to_string();
    let api_answer: Answer = Arc::new(move |seen| {
        if seen.target.ends_with("/moved.wav") {
            Canned { status: 302, headers: vec![("Location", moved.clone())], body: vec![] }
        } else {
            wav(seen)
        }
    });
    let (api, mut api_seen) = stand_in("127.0.0.1", api_answer).await;
    let twilio = client(egress(&["127.0.0.1", "127.0.0.2"]), &api);
    let deadline = Duration::from_secs(5);
    let recordings =
        format!("/2010-04-01/Accounts/{SID}/Recordings/RE0123456789abcdef0123456789abcdef");

    // On the API's origin: with credentials.
    let direct = api.join(&format!("{recordings}/direct.wav")).expect("URL");
    let reply = twilio.fetch_recording(&direct, 1024, deadline).await.expect("the media");
    assert_eq!(reply.content_type(), Some("audio/x-wav"));
    assert_eq!(reply.bytes().await.expect("the body"), b"RIFF-and-so-on");
    let request = api_seen.recv().await.expect("the request");
    assert_eq!(request.method, "GET");
    assert_eq!(request.header("authorization"), Some(basic_auth().as_str()));

    // Redirected away from the API: the Authorization header stays behind.
    let moved = api.join(&format!("{recordings}/moved.wav")).expect("URL");
    let reply = twilio.fetch_recording(&moved, 1024, deadline).await.expect("the media");
    assert_eq!(reply.bytes().await.expect("the body"), b"RIFF-and-so-on");
    assert!(api_seen.recv().await.expect("the request").header("authorization").is_some());
    let request = media_seen.recv().await.expect("the redirected request");
    assert_eq!(request.target, "/elsewhere.wav");
    assert_eq!(request.header("authorization"), None);

    // Another host, and credentials written into the URL: none are sent.
    let mut elsewhere = media.join("/direct.wav").expect("URL");
    let _ = elsewhere.set_username(SID);
    let _ = elsewhere.set_password(Some(TOKEN));
    let reply = twilio.fetch_recording(&elsewhere, 1024, deadline).await.expect("the media");
    assert_eq!(reply.bytes().await.expect("the body"), b"RIFF-and-so-on");
    assert_eq!(media_seen.recv().await.expect("the request").header("authorization"), None);

    // The same host on another port is another origin.
    let mut other_port = api.clone();
    let _ = other_port.set_port(Some(media.port().expect("a port")));
    assert!(!twilio.is_api_origin(&other_port));
}

#[tokio::test]
async fn a_recording_past_the_limit_from_a_local_stand_in_is_too_large() {
    let big = |_: &Seen| Canned { status: 200, headers: vec![], body: vec![0; 4096] };
    let (api, _seen) = stand_in("127.0.0.1", Arc::new(big)).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    let url = api.join("/r.wav").expect("URL");
    let fetched = twilio.fetch_recording(&url, 1024, Duration::from_secs(5)).await;
    assert_eq!(
        fetched.map(|_| ()),
        Err(TwilioError::Egress(EgressError::TooLarge { limit: 1024 }))
    );
}

#[tokio::test]
async fn a_gone_recording_on_a_local_stand_in_is_twilios_20404() {
    let body = json!({
        "code": 20404,
        "message": "The requested resource /2010-04-01/Accounts/AC…/Recordings/RE….wav was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    });
    let (api, _seen) = stand_in("127.0.0.1", answering(404, body)).await;
    let twilio = client(egress(&["127.0.0.1"]), &api);
    let url = api.join("/r.wav").expect("URL");
    let err = twilio.fetch_recording(&url, 1024, Duration::from_secs(5)).await.expect_err("gone");
    assert!(matches!(err, TwilioError::Refused { status: 404, code: Some(20404), .. }), "{err:?}");
}

#[tokio::test]
async fn a_refusal_from_a_local_stand_in_for_another_host_tells_nothing_of_it() {
    let body = json!({"code": 20404, "message": "internal detail", "status": 404});
    let (elsewhere, _seen) = stand_in("127.0.0.2", answering(404, body)).await;
    let api = Url::parse("http://127.0.0.1:9").expect("URL");
    let twilio = client(egress(&["127.0.0.1", "127.0.0.2"]), &api);
    let url = elsewhere.join("/r.wav").expect("URL");
    let fetched = twilio.fetch_recording(&url, 1024, Duration::from_secs(5)).await;
    assert_eq!(fetched.map(|_| ()), Err(TwilioError::Egress(EgressError::NoAnswer)));
}
