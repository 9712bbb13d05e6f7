//! Property tests: no input makes a parser or a verifier panic, and what is signed verifies
//! while any change to it does not.

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::Value;

use super::twilio::{SignatureAlgorithm, SignedParams};
use super::{Form, placetel, recorder, signed, sip_webhook, twilio};

const TWILIO_FIELDS: &[&str] = &[
    "CallSid",
    "CallStatus",
    "Direction",
    "Timestamp",
    "SequenceNumber",
    "CallDuration",
    "From",
    "To",
    "CallerName",
    "SipResponseCode",
    "ParentCallSid",
    "SipCallId",
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingDuration",
    "RecordingChannels",
    "RecordingStartTime",
    "ErrorCode",
];

const PLACETEL_FIELDS: &[&str] =
    &["event", "call_id", "from", "to", "direction", "type", "duration", "peer"];

/// Values that reach past the first checks, and anything else.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "CA1",
            "completed",
            "no-answer",
            "in-progress",
            "inbound",
            "outbound-dial",
            "3",
            "-1",
            "4294967296",
            "Tue, 10 Aug 2021 18:47:14 +0000",
            "https://a.example/r",
            "IncomingCall",
            "HungUp",
            "in",
            "out",
            "voicemail",
            "accepted",
            "",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn form(names: &'static [&'static str]) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![prop::sample::select(names).prop_map(str::to_owned), any::<String>()];
    prop::collection::vec((name, value()), 0..24)
}

fn json_object(names: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let member = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        value().prop_map(Value::from),
        prop::sample::select(vec![
            "call.ended",
            "call.held",
            "inbound",
            "recording.completed",
            "absent",
            "2025-06-02T08:00:00Z",
            "0190a4b2-6c1e-7d3f-8a9b-0c1d2e3f4a5b",
        ])
        .prop_map(Value::from),
    ];
    let name =
        prop_oneof![4 => prop::sample::select(names).prop_map(str::to_owned), 1 => any::<String>()];
    prop::collection::btree_map(name, member, 0..12).prop_map(|members| {
        serde_json::to_vec(&members.into_iter().collect::<serde_json::Map<_, _>>())
            .unwrap_or_default()
    })
}

fn received() -> Timestamp {
    Timestamp::UNIX_EPOCH
}

proptest! {
    #[test]
    fn forms_read_any_bytes(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(form) = Form::parse(&body) {
            prop_assert!(form.to_json().is_object());
        }
    }

    #[test]
    fn twilio_parsers_take_any_form(pairs in form(TWILIO_FIELDS)) {
        let form = Form::from_pairs(pairs).expect("under the field limit");
        let _ = twilio::call_report(&form, received());
        let _ = twilio::recording_report(&form, received());
    }

    #[test]
    fn placetel_parser_takes_any_form(pairs in form(PLACETEL_FIELDS)) {
        let form = Form::from_pairs(pairs).expect("under the field limit");
        if let Ok(report) = placetel::call_report(&form, received()) {
            prop_assert!(report.receipt.starts_with(&report.external_id));
        }
    }

    #[test]
    fn json_parsers_take_any_bytes(body in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = sip_webhook::call_report(&body, received());
        let _ = recorder::recording_report(&body, received());
    }

    #[test]
    fn sip_parser_takes_any_object(body in json_object(sip_webhook::SipWebhookEvent::MEMBERS)) {
        let _ = sip_webhook::call_report(&body, received());
    }

    #[test]
    fn recorder_parser_takes_any_object(body in json_object(recorder::RecorderEvent::MEMBERS)) {
        let _ = recorder::recording_report(&body, received());
    }

    #[test]
    fn twilio_verifier_takes_anything(
        url in any::<String>(),
        pairs in form(TWILIO_FIELDS),
        body in prop::collection::vec(any::<u8>(), 0..256),
        header in proptest::option::of(any::<String>()),
        settings in proptest::option::of(any::<String>()),
    ) {
        let _ = twilio::verify_signature(b"t", &url, SignedParams::Form(&pairs), header.as_deref());
        let _ = twilio::verify_signature(b"t", &url, SignedParams::Body(&body), header.as_deref());
        let _ = SignatureAlgorithm::from_settings_header(settings.as_deref());
    }

    #[test]
    fn twilio_signs_then_verifies(
        token in prop::collection::vec(any::<u8>(), 0..64),
        url in "https://[a-z]{1,12}\\.example(:[0-9]{1,4})?(/[a-z0-9._-]{0,8}){0,3}(\\?[a-z0-9=&]{1,12})?",
        fields in prop::collection::btree_map("[A-Za-z]{1,12}", any::<String>(), 0..12),
        sha256 in any::<bool>(),
    ) {
        let algorithm =
            if sha256 { SignatureAlgorithm::HmacSha256 } else { SignatureAlgorithm::HmacSha1 };
        let mut pairs: Vec<(String, String)> = fields.into_iter().collect();
        let signature = twilio::compute_signature(algorithm, &token, &url, &pairs);
        let verify = |pairs: &[(String, String)]| {
            twilio::verify_signature_with(algorithm, &token, &url, SignedParams::Form(pairs), Some(&signature))
        };
        prop_assert_eq!(verify(&pairs), Ok(()));
        if let Some((_, value)) = pairs.first_mut() {
            value.push('x');
            prop_assert!(verify(&pairs).is_err());
        }
    }

    #[test]
    fn placetel_verifier_round_trips(
        secret in prop::collection::vec(any::<u8>(), 0..64),
        body in prop::collection::vec(any::<u8>(), 1..512),
        flip in any::<prop::sample::Index>(),
        header in any::<String>(),
    ) {
        let _ = placetel::verify_signature(&secret, &body, Some(&header));
        let signature = placetel::sign(&secret, &body);
        prop_assert_eq!(placetel::verify_signature(&secret, &body, Some(&signature)), Ok(()));
        let mut changed = body.clone();
        changed[flip.index(body.len())] ^= 0x01;
        prop_assert!(placetel::verify_signature(&secret, &changed, Some(&signature)).is_err());
    }

    #[test]
    fn callbase_verifier_round_trips(
        secret in prop::collection::vec(any::<u8>(), 0..64),
        body in prop::collection::vec(any::<u8>(), 1..512),
        flip in any::<prop::sample::Index>(),
        t in 0_i64..4_000_000_000,
        skew in -300_i64..=300,
        header in any::<String>(),
    ) {
        let now = Timestamp::from_second(t + skew).expect("in range");
        let _ = signed::verify_callbase_signature(&secret, &body, Some(&header), now);
        let signature = signed::sign_callbase(&secret, &body, t);
        prop_assert_eq!(signed::verify_callbase_signature(&secret, &body, Some(&signature), now), Ok(()));
        let mut changed = body.clone();
        changed[flip.index(body.len())] ^= 0x01;
        prop_assert!(signed::verify_callbase_signature(&secret, &changed, Some(&signature), now).is_err());
    }
}
