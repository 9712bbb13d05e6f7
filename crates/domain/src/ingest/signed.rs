//! `X-Callbase-Signature`, the signature on the JSON webhooks callbase defines (a SIP
//! server's events, a recorder's): `t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">`.
//! Several `v1=` may be given and any one that matches passes, so a sender can sign with the
//! old and the new secret while a secret is rotated; the time bounds replays.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;

use super::{SignatureError, hex};

/// How far the signature's time may be from now, either way, in seconds.
pub const TOLERANCE_SECONDS: u64 = 300;

/// The most `v1=` signatures one header may carry.
const MAX_SIGNATURES: usize = 8;

type HmacSha256 = Hmac<sha2::Sha256>;

/// Checks `header` against `raw_body` and `secret`, then its time against `now`. A signature
/// that holds but is stale says so, which tells a clock that is off from a forgery.
pub fn verify_callbase_signature(
    secret: &[u8],
    raw_body: &[u8],
    header: Option<&str>,
    now: Timestamp,
) -> Result<(), SignatureError> {
    let header = Header::parse(header.ok_or(SignatureError::MissingHeader)?)?;
    let mac = mac(secret, header.t, raw_body).ok_or(SignatureError::Mismatch)?;
    // Every candidate is checked (in constant time each), not just up to the first match.
    let signed = header
        .signatures
        .iter()
        .fold(false, |signed, claimed| signed | mac.clone().verify_slice(claimed).is_ok());
    if !signed {
        return Err(SignatureError::Mismatch);
    }
    if now.as_second().abs_diff(header.seconds) > TOLERANCE_SECONDS {
        return Err(SignatureError::StaleTimestamp);
    }
    Ok(())
}

/// The header a sender puts on `body` at `t` (unix seconds).
#[must_use]
pub fn sign_callbase(secret: &[u8], body: &[u8], t: i64) -> String {
    let t = t.to_string();
    let tag = mac(secret, &t, body).map(|mac| mac.finalize().into_bytes()).unwrap_or_default();
    format!("t={t},v1={}", hex::encode(&tag))
}

fn mac(secret: &[u8], t: &str, body: &[u8]) -> Option<HmacSha256> {
    // HMAC takes a key of any length: this is never `None`.
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// `t=…,v1=…[,v1=…]`; other keys (a future `v2`) are skipped.
struct Header<'a> {
    /// `t` as sent: the MAC covers these digits, not a reformatting of them.
    t: &'a str,
    seconds: i64,
    signatures: Vec<Vec<u8>>,
}

impl<'a> Header<'a> {
    fn parse(header: &'a str) -> Result<Self, SignatureError> {
        let malformed = SignatureError::MalformedHeader;
        let mut t = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (key, value) = part.trim().split_once('=').ok_or(malformed)?;
            match key {
                "t" if t.is_none() => t = Some(value),
                "t" => return Err(malformed),
                "v1" if signatures.len() == MAX_SIGNATURES => return Err(malformed),
                "v1" => signatures
                    .push(hex::decode(value).filter(|tag| tag.len() == 32).ok_or(malformed)?),
                _ => {}
            }
        }
        let t = t.ok_or(malformed)?;
        let digits = (1..=19).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        let seconds = t.parse::<i64>().ok().filter(|_| digits).ok_or(malformed)?;
        if signatures.is_empty() {
            return Err(malformed);
        }
        Ok(Self { t, seconds, signatures })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"event":"call.ringing"}"#;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("a time")
    }

    #[test]
    fn sign_then_verify() {
        let header = sign_callbase(SECRET, BODY, 1_700_000_000);
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        let verify =
            |header: &str, now: i64| verify_callbase_signature(SECRET, BODY, Some(header), at(now));
        assert_eq!(verify(&header, 1_700_000_000), Ok(()));
        assert_eq!(verify(&header, 1_700_000_300), Ok(()));
        assert_eq!(verify(&header, 1_699_999_700), Ok(()));
        assert_eq!(verify(&header, 1_700_000_301), Err(SignatureError::StaleTimestamp));
        assert_eq!(verify(&header, 1_699_999_699), Err(SignatureError::StaleTimestamp));
        let upper = format!("t=1700000000,v1={}", KNOWN.to_ascii_uppercase());
        assert_eq!(verify(&upper, 1_700_000_000), Ok(()));
    }

    #[test]
    fn a_known_vector() {
        // HMAC-SHA256("whsec_test", "1700000000.{\"event\":\"call.ringing\"}"), by Python's hmac.
        let header = sign_callbase(SECRET, BODY, 1_700_000_000);
        assert_eq!(header, format!("t=1700000000,v1={KNOWN}"));
    }

    const KNOWN: &str = "5aace2b04fadc793746c7246220a5ad2bb7e60af073a554ea447f0163f36d88b";

    #[test]
    fn any_of_several_signatures_passes_while_a_secret_rotates() {
        let old = sign_callbase(b"old", BODY, 1_700_000_000);
        let new = sign_callbase(SECRET, BODY, 1_700_000_000);
        let both = format!("{old},{}", &new["t=1700000000,".len()..]);
        assert_eq!(verify_callbase_signature(SECRET, BODY, Some(&both), at(1_700_000_000)), Ok(()));
        assert_eq!(verify_callbase_signature(b"old", BODY, Some(&both), at(1_700_000_000)), Ok(()));
        let other = verify_callbase_signature(b"other", BODY, Some(&both), at(1_700_000_000));
        assert_eq!(other, Err(SignatureError::Mismatch));
    }

    #[test]
    fn what_is_refused_and_why() {
        let now = at(1_700_000_000);
        let check = |header: Option<&str>, body: &[u8]| {
            verify_callbase_signature(SECRET, body, header, now)
        };
        let good = sign_callbase(SECRET, BODY, 1_700_000_000);
        assert_eq!(check(None, BODY), Err(SignatureError::MissingHeader));
        assert_eq!(check(Some(&good), b"{}"), Err(SignatureError::Mismatch));
        let stale_forgery = sign_callbase(b"other", BODY, 1);
        assert_eq!(check(Some(&stale_forgery), BODY), Err(SignatureError::Mismatch));
        let reformatted = good.replace("t=", "t=0");
        assert_eq!(check(Some(&reformatted), BODY), Err(SignatureError::Mismatch), "t as sent");
        let v1 = &good["t=1700000000,".len()..];
        for malformed in [
            "",
            "t=1700000000",
            v1,
            &format!("t=-5,{v1}"),
            &format!("t=+5,{v1}"),
            &format!("t=1,t=2,{v1}"),
            "t=1700000000,v1=abc",
            &format!("t=1700000000,{v1},garbage"),
            &format!("t=99999999999999999999,{v1}"),
        ] {
            assert_eq!(
                check(Some(malformed), BODY),
                Err(SignatureError::MalformedHeader),
                "{malformed}"
            );
        }
        let with_v2 = format!("t=1700000000,v2=zz,{v1}");
        assert_eq!(check(Some(&with_v2), BODY), Ok(()), "unknown schemes are skipped");
        let many = format!("t=1700000000{}", format!(",{v1}").repeat(MAX_SIGNATURES + 1));
        assert_eq!(check(Some(&many), BODY), Err(SignatureError::MalformedHeader));
    }
}
