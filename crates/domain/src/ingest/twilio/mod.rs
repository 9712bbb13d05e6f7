//! Twilio Voice (INGEST-1, TELEPHONY.md §1): the signature on every webhook, the call status
//! callback and the recording status callback, each a form-encoded POST.

mod call;
#[cfg(test)]
mod fixtures;
mod recording;
mod signature;

use jiff::Timestamp;
use jiff::fmt::rfc2822::DateTimeParser;

pub use call::call_report;
pub use recording::recording_report;
pub use signature::{
    SignatureAlgorithm, SignedParams, compute_signature, verify_signature, verify_signature_with,
};

/// The source Twilio's calls are logged under.
pub const SOURCE: &str = "twilio";

/// A time as Twilio and the providers that copy its callbacks write it: RFC 2822 (`Tue, 10
/// Aug 2021 18:47:14 +0000`), with `Etc/UTC` or `UTC` for the offset (Telin), or RFC 3339 with
/// a space (`2021-04-28 21:51:18.731479Z`, Telnyx). A wrong weekday is forgiven.
fn parse_time(text: &str) -> Option<Timestamp> {
    static RFC2822: DateTimeParser = DateTimeParser::new().relaxed_weekday(true);
    let text = text.trim();
    let named_utc = text.strip_suffix("Etc/UTC").or_else(|| text.strip_suffix("UTC"));
    RFC2822
        .parse_timestamp(text)
        .ok()
        .or_else(|| named_utc.and_then(|head| RFC2822.parse_timestamp(format!("{head}+0000")).ok()))
        .or_else(|| text.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_twilio_and_its_imitators_write_them() {
        let at = |text: &str| parse_time(text).map(|at| at.to_string());
        let expected = Some("2021-08-10T18:47:14Z".to_owned());
        assert_eq!(at("Tue, 10 Aug 2021 18:47:14 +0000"), expected);
        assert_eq!(at("Mon, 10 Aug 2021 18:47:14 +0000"), expected, "wrong weekday");
        assert_eq!(at("Tue, 10 Aug 2021 20:47:14 +0200"), expected);
        assert_eq!(at("Tue, 10 Aug 2021 18:47:14 GMT"), expected);
        assert_eq!(at("Tue, 10 Aug 2021 18:47:14 Etc/UTC"), expected);
        assert_eq!(at("Tue, 10 Aug 2021 18:47:14 UTC"), expected);
        assert_eq!(at("2021-08-10 18:47:14Z"), expected);
        assert_eq!(at("2021-04-28 21:51:18.731479Z"), Some("2021-04-28T21:51:18.731479Z".into()));
        assert_eq!(at("yesterday"), None);
        assert_eq!(at("2021-08-10 18:47:14"), None, "no offset");
    }
}
