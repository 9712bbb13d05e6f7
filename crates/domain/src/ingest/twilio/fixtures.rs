//! Twilio payloads and signatures for the tests, shaped like the callbacks in Twilio's
//! documentation and in captured bodies (TELEPHONY.md §1).
//!
//! The signatures were produced once with twilio-python 9.13.0's `RequestValidator("12345")`
//! (`pip install twilio`): `compute_signature(url, params)` with the body's fields as a
//! MultiDict (`getall` returning every value), and each checked with `validate(...)` against
//! the URL spelled the other way where the test says so.

/// The auth token the vectors are signed with.
pub const TOKEN: &[u8] = b"12345";

/// A status callback for a completed outbound call, fields in the order Twilio sent them.
pub const STATUS_BODY: &str = "Called=%2B15017122661&ToState=CA&CallerCountry=US&\
Direction=outbound-api&Timestamp=Tue%2C+10+Aug+2021+18%3A47%3A14+%2B0000&\
CallbackSource=call-progress-events&CallerState=CA&ToZip=&SequenceNumber=3&\
CallSid=CA3f1d7a4b9c2e8f0a1b2c3d4e5f6a7b8c&To=%2B15017122661&CallerZip=&ToCountry=US&\
CalledZip=&ApiVersion=2010-04-01&CalledCity=&CallStatus=completed&Duration=1&\
From=%2B15558675310&CallDuration=49&AccountSid=ACb8a3c2d1e0f9a8b7c6d5e4f3a2b1c0d9&\
CalledCountry=US&CallerCity=&ToCity=&FromCountry=US&Caller=%2B15558675310&FromCity=&\
CalledState=CA&FromZip=&FromState=CA";

/// A recording status callback for a finished two-channel `<Dial record>` recording.
pub const RECORDING_BODY: &str = "AccountSid=ACb8a3c2d1e0f9a8b7c6d5e4f3a2b1c0d9&\
CallSid=CA3f1d7a4b9c2e8f0a1b2c3d4e5f6a7b8c&RecordingSid=RE5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d&\
RecordingUrl=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2F\
ACb8a3c2d1e0f9a8b7c6d5e4f3a2b1c0d9%2FRecordings%2FRE5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d&\
RecordingStatus=completed&RecordingDuration=47&RecordingChannels=2&\
RecordingStartTime=Tue%2C+10+Aug+2021+18%3A47%3A16+%2B0000&RecordingSource=DialVerb&\
RecordingTrack=both&ErrorCode=0";

/// `STATUS_BODY` posted to a URL with a query string.
pub const QUERY_URL: &str =
    "https://callbase.example.com/ingest/twilio/status?workspace=acme&leg=a";
pub const QUERY_SIGNATURE: &str = "jmUYhqC1eh6tAiqtzCyzn34ezvI=";

/// `STATUS_BODY` signed over the URL with `:443`; validated against the URL without it.
pub const PORT_URL: &str = "https://callbase.example.com:443/ingest/twilio/status";
pub const PORT_SIGNATURE: &str = "7wkfxn6W4m1rltuajpElBIePPi0=";

/// `STATUS_BODY` signed over the URL without a port; validated against the URL with `:443`,
/// and against `HTTPS://callbase.example.com:8443/ingest/twilio/status?#`.
pub const PLAIN_URL: &str = "https://callbase.example.com/ingest/twilio/status";
pub const PLAIN_SIGNATURE: &str = "abX5KFsbCdhuwF0hwcaECt0b4bQ=";

/// The same with `algorithm="HMAC_SHA256"`.
pub const PLAIN_SHA256_SIGNATURE: &str = "VSQ6H5qRtaM1BiYWm7T8BqzM510j4J6yQT5DND+7MRk=";

/// A JSON body (Twilio's own example) and the URL carrying its SHA-256 (confirmed in
/// TELEPHONY.md), signed with no fields.
pub const JSON_BODY: &str = r#"{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}"#;
pub const JSON_URL: &str = "https://callbase.example.com/ingest/twilio/json?\
bodySHA256=5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9";
pub const JSON_SIGNATURE: &str = "xrTDFALbgKUSxYtkuEljjM0Tg94=";

/// Repeated names: `Digits` three times, `9` twice.
pub const REPEATED_BODY: &str = "To=%2B15005550006&Digits=9&Digits=1&Digits=9&From=%2B15017122661";
pub const REPEATED_URL: &str = "https://callbase.example.com/ingest/twilio/gather";
pub const REPEATED_SIGNATURE: &str = "GHsrjeYflOHx7TTXLeFJFPxtkk0=";

/// `RECORDING_BODY`, posted to its own URL.
pub const RECORDING_URL: &str = "https://callbase.example.com/ingest/twilio/recording";
pub const RECORDING_SIGNATURE: &str = "9T4EPqml+0/LOGVd8QVoYehK46M=";

/// A body's fields, as `Form` reads them.
pub fn pairs(body: &str) -> Vec<(String, String)> {
    crate::ingest::Form::parse(body.as_bytes()).expect("a fixture form").pairs().to_vec()
}
