//! `X-Twilio-Signature`, checked as twilio-python 9.13's `RequestValidator.validate` checks it:
//! HMAC over the URL followed by every form field, base64, compared with the URL as the
//! server saw it both without and with its port, and for a JSON body a SHA-256 of the body
//! that must equal `bodySHA256` in the URL.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

use crate::ingest::{SignatureError, hex};

/// What the signature covers besides the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedParams<'a> {
    /// A form body's fields, every value of a repeated name included.
    Form(&'a [(String, String)]),
    /// A raw (JSON) body: Twilio signs the URL alone and puts the body's SHA-256 in it as
    /// `bodySHA256`.
    Body(&'a [u8]),
}

/// The MAC Twilio signed with: the account's auth token and HMAC-SHA1, unless the request
/// says otherwise in `X-Twilio-Webhooks-Signature-Settings` (a webhook signed with a
/// SharedKey, as twilio-python 9.13 reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureAlgorithm {
    #[default]
    HmacSha1,
    HmacSha256,
}

impl SignatureAlgorithm {
    /// Reads `key=<id>,algorithm=<name>`; absent, empty or without `algorithm=` is HMAC-SHA1,
    /// and the name is matched without regard to case.
    pub fn from_settings_header(header: Option<&str>) -> Result<Self, SignatureError> {
        let named = header.unwrap_or_default().split(',').find_map(|part| {
            let (name, value) = part.split_once('=')?;
            (name.trim() == "algorithm" && !value.trim().is_empty()).then(|| value.trim())
        });
        match named {
            None => Ok(Self::HmacSha1),
            Some(name) if name.eq_ignore_ascii_case("HMAC_SHA1") => Ok(Self::HmacSha1),
            Some(name) if name.eq_ignore_ascii_case("HMAC_SHA256") => Ok(Self::HmacSha256),
            Some(_) => Err(SignatureError::UnsupportedAlgorithm),
        }
    }
}

/// Checks `X-Twilio-Signature` (`header`) with the account's auth token (HMAC-SHA1). `url` is
/// the full URL Twilio requested, query string included, as the server's public base URL
/// spells it.
pub fn verify_signature(
    auth_token: &[u8],
    url: &str,
    params: SignedParams<'_>,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    verify_signature_with(SignatureAlgorithm::HmacSha1, auth_token, url, params, header)
}

/// [`verify_signature`] with the algorithm the request names.
pub fn verify_signature_with(
    algorithm: SignatureAlgorithm,
    secret: &[u8],
    url: &str,
    params: SignedParams<'_>,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader)?;
    let (pairs, body_hash) = match params {
        // A form body is covered by its fields; `bodySHA256` in the URL is then not read.
        SignedParams::Form(pairs) => (pairs, None),
        SignedParams::Body(body) => match body_hash_in(url) {
            Some(claimed) => (&[][..], Some((body, claimed))),
            // twilio-python signs an empty raw body as no fields, and cannot read any other
            // without `bodySHA256`.
            None if body.is_empty() => (&[][..], None),
            None => return Err(SignatureError::MissingBodyHash),
        },
    };
    // An unreadable port (`:x`, `:70000`) makes twilio-python raise; nothing can match it.
    let variants = UrlParts::split(url).variants().ok_or(SignatureError::Mismatch)?;
    let signed = variants.iter().fold(false, |signed, variant| {
        let expected = compute_signature(algorithm, secret, variant, pairs);
        signed | bool::from(expected.as_bytes().ct_eq(header.as_bytes()))
    });
    if !signed {
        return Err(SignatureError::Mismatch);
    }
    if let Some((body, claimed)) = body_hash {
        let actual = hex::encode(&sha2::Sha256::digest(body));
        // twilio-python compares the hex as text: an uppercase `bodySHA256` does not match.
        if !bool::from(actual.as_bytes().ct_eq(claimed.as_bytes())) {
            return Err(SignatureError::BodyHashMismatch);
        }
    }
    Ok(())
}

/// The signature of `url` and `pairs`: the URL, then each distinct name in sorted order
/// followed by each of its distinct values in sorted order, MACed and base64-encoded.
#[must_use]
pub fn compute_signature(
    algorithm: SignatureAlgorithm,
    secret: &[u8],
    url: &str,
    pairs: &[(String, String)],
) -> String {
    let mut sorted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in pairs {
        sorted.entry(name).or_default().insert(value);
    }
    let parts = std::iter::once(url).chain(
        sorted.iter().flat_map(|(name, values)| values.iter().flat_map(move |v| [*name, *v])),
    );
    let tag = match algorithm {
        SignatureAlgorithm::HmacSha1 => mac::<Hmac<sha1::Sha1>>(secret, parts),
        SignatureAlgorithm::HmacSha256 => mac::<Hmac<sha2::Sha256>>(secret, parts),
    };
    base64::engine::general_purpose::STANDARD.encode(tag)
}

fn mac<'a, M: Mac + KeyInit>(secret: &[u8], parts: impl Iterator<Item = &'a str>) -> Vec<u8> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(secret) else {
        return Vec::new();
    };
    for part in parts {
        mac.update(part.as_bytes());
    }
    mac.finalize().into_bytes().to_vec()
}

/// The first non-empty `bodySHA256` in the URL's query, as `parse_qs` finds it.
fn body_hash_in(url: &str) -> Option<String> {
    let query = UrlParts::split(url).query;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name == "bodySHA256" && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

/// `urlparse` splits `;params` off the last path segment and `urlunparse` puts them back only
/// when there are some: a path ending in that segment's first `;` loses it.
fn without_empty_params(path: &str) -> &str {
    let segment = path.rfind('/').unwrap_or(0);
    match path[segment..].find(';') {
        Some(semicolon) if segment + semicolon + 1 == path.len() => &path[..path.len() - 1],
        _ => path,
    }
}

/// A URL cut the way Python's `urlsplit` cuts it (and `urlparse`, for `;`).
#[derive(Debug, PartialEq, Eq)]
struct UrlParts<'a> {
    scheme: String,
    netloc: &'a str,
    path: &'a str,
    query: &'a str,
    fragment: &'a str,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> Self {
        let (scheme, rest) = match url.split_once(':') {
            Some((scheme, rest))
                if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                    && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
            {
                (scheme.to_ascii_lowercase(), rest)
            }
            _ => (String::new(), url),
        };
        let (netloc, rest) = match rest.strip_prefix("//") {
            Some(after) => after.split_at(after.find(['/', '?', '#']).unwrap_or(after.len())),
            None => ("", rest),
        };
        let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        // Python's `uses_params`, the schemes whose paths may carry `;params`.
        let params = matches!(
            scheme.as_str(),
            "" | "ftp"
                | "hdl"
                | "prospero"
                | "http"
                | "imap"
                | "https"
                | "shttp"
                | "rtsp"
                | "rtsps"
                | "rtspu"
                | "sip"
                | "sips"
                | "mms"
                | "sftp"
                | "tel"
        );
        let path = if params { without_empty_params(path) } else { path };
        Self { scheme, netloc, path, query, fragment }
    }

    /// The URL without and with its port, as `remove_port` and `add_port` write it; `None`
    /// when the port is not a number up to 65535.
    ///
    /// `remove_port` keeps what precedes the first `:` of the whole netloc, which also cuts
    /// `user:password@` and `[v6]` hosts short; here only the port goes, so such URLs validate
    /// where twilio-python refuses them.
    fn variants(&self) -> Option<[String; 2]> {
        let host_start = self.netloc.rfind('@').map_or(0, |at| at + 1);
        let host = &self.netloc[host_start..];
        let port_colon = if host.contains('[') {
            host.find(']').and_then(|end| host[end..].find(':').map(|colon| end + colon))
        } else {
            host.find(':')
        };
        let port_text = port_colon.map_or("", |colon| &host[colon + 1..]);
        let port = if port_text.is_empty() {
            None
        } else if port_text.bytes().all(|b| b.is_ascii_digit()) {
            Some(port_text.parse::<u32>().ok().filter(|port| *port <= 65_535)?)
        } else {
            return None;
        };
        let as_given = self.join(self.netloc);
        // Port 0 counts as none, as `if not uri.port` reads it.
        if port.is_some_and(|port| port != 0) {
            let end = host_start + port_colon.unwrap_or(host.len());
            return Some([self.join(&self.netloc[..end]), as_given]);
        }
        let default = if self.scheme == "https" { 443 } else { 80 };
        Some([as_given, self.join(&format!("{}:{default}", self.netloc))])
    }

    /// `urlunsplit`: empty query and fragment vanish with their `?` and `#`.
    fn join(&self, netloc: &str) -> String {
        let mut url = String::new();
        if !self.scheme.is_empty() {
            url.push_str(&self.scheme);
            url.push(':');
        }
        let web = matches!(self.scheme.as_str(), "http" | "https");
        if !netloc.is_empty() || (web && !self.path.starts_with("//")) {
            url.push_str("//");
            url.push_str(netloc);
            if !self.path.is_empty() && !self.path.starts_with('/') {
                url.push('/');
            }
        }
        url.push_str(self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(self.query);
        }
        if !self.fragment.is_empty() {
            url.push('#');
            url.push_str(self.fragment);
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn form(url: &str, body: &str, signature: &str) -> Result<(), SignatureError> {
        verify_signature(TOKEN, url, SignedParams::Form(&pairs(body)), Some(signature))
    }

    #[test]
    fn twilio_pythons_vectors_validate() {
        assert_eq!(form(QUERY_URL, STATUS_BODY, QUERY_SIGNATURE), Ok(()));
        assert_eq!(form(PLAIN_URL, STATUS_BODY, PORT_SIGNATURE), Ok(()), "signed with :443");
        assert_eq!(form(PORT_URL, STATUS_BODY, PLAIN_SIGNATURE), Ok(()), "seen with :443");
        assert_eq!(form(REPEATED_URL, REPEATED_BODY, REPEATED_SIGNATURE), Ok(()));
        assert_eq!(form(RECORDING_URL, RECORDING_BODY, RECORDING_SIGNATURE), Ok(()));
        let json = SignedParams::Body(JSON_BODY.as_bytes());
        assert_eq!(verify_signature(TOKEN, JSON_URL, json, Some(JSON_SIGNATURE)), Ok(()));
    }

    #[test]
    fn the_url_is_normalised_as_urlsplit_does() {
        // twilio-python strips any port, lowercases the scheme and drops an empty `?` and `#`.
        let odd = "HTTPS://callbase.example.com:8443/ingest/twilio/status?#";
        assert_eq!(form(odd, STATUS_BODY, PLAIN_SIGNATURE), Ok(()));
        let http = "http://callbase.example.com/ingest/twilio/status";
        assert_eq!(form(http, STATUS_BODY, PLAIN_SIGNATURE), Err(SignatureError::Mismatch));
        let query = "https://callbase.example.com/ingest/twilio/status?workspace=acme&leg=a";
        assert_eq!(form(query, STATUS_BODY, PLAIN_SIGNATURE), Err(SignatureError::Mismatch));
        assert_eq!(form("https://h:x/", "", "a"), Err(SignatureError::Mismatch));
        assert_eq!(form("https://h:70000/", "", "a"), Err(SignatureError::Mismatch));
    }

    #[test]
    fn url_variants() {
        let variants = |url: &str| UrlParts::split(url).variants();
        let pair = |a: &str, b: &str| Some([a.to_owned(), b.to_owned()]);
        assert_eq!(variants("https://h/a?b=1"), pair("https://h/a?b=1", "https://h:443/a?b=1"));
        assert_eq!(variants("http://h:80/a"), pair("http://h/a", "http://h:80/a"));
        assert_eq!(variants("https://h"), pair("https://h", "https://h:443"));
        assert_eq!(variants("https://h:/a"), pair("https://h:/a", "https://h::443/a"));
        assert_eq!(variants("https://h:0/a"), pair("https://h:0/a", "https://h:0:443/a"));
        assert_eq!(variants("https://u:p@h:443/a"), pair("https://u:p@h/a", "https://u:p@h:443/a"));
        assert_eq!(variants("https://[::1]:443/a"), pair("https://[::1]/a", "https://[::1]:443/a"));
        assert_eq!(variants("https://h:x/a"), None);
    }

    #[test]
    fn each_part_of_the_request_is_covered() {
        let mut fields = pairs(STATUS_BODY);
        fields[0].1.push('1');
        let changed = SignedParams::Form(&fields);
        let result = verify_signature(TOKEN, PLAIN_URL, changed, Some(PLAIN_SIGNATURE));
        assert_eq!(result, Err(SignatureError::Mismatch));
        assert_eq!(
            form(PLAIN_URL, STATUS_BODY, "abX5KFsbCdhuwF0hwcaECt0b4bQ"),
            Err(SignatureError::Mismatch)
        );
        let other_token = verify_signature(
            b"54321",
            PLAIN_URL,
            SignedParams::Form(&pairs(STATUS_BODY)),
            Some(PLAIN_SIGNATURE),
        );
        assert_eq!(other_token, Err(SignatureError::Mismatch));
        let missing = verify_signature(TOKEN, PLAIN_URL, SignedParams::Form(&[]), None);
        assert_eq!(missing, Err(SignatureError::MissingHeader));
    }

    #[test]
    fn a_json_body_must_match_its_hash() {
        let changed = JSON_BODY.replace('1', "2");
        let result = verify_signature(
            TOKEN,
            JSON_URL,
            SignedParams::Body(changed.as_bytes()),
            Some(JSON_SIGNATURE),
        );
        assert_eq!(result, Err(SignatureError::BodyHashMismatch));
        let upper = JSON_URL.replace("5ccde7", "5CCDE7");
        let signature = compute_signature(SignatureAlgorithm::HmacSha1, TOKEN, &upper, &[]);
        let result = verify_signature(
            TOKEN,
            &upper,
            SignedParams::Body(JSON_BODY.as_bytes()),
            Some(&signature),
        );
        assert_eq!(result, Err(SignatureError::BodyHashMismatch), "compared as text");
        let bare = "https://callbase.example.com/ingest/twilio/json";
        let result =
            verify_signature(TOKEN, bare, SignedParams::Body(JSON_BODY.as_bytes()), Some("x"));
        assert_eq!(result, Err(SignatureError::MissingBodyHash));
        let signature = compute_signature(SignatureAlgorithm::HmacSha1, TOKEN, bare, &[]);
        let empty = verify_signature(TOKEN, bare, SignedParams::Body(b""), Some(&signature));
        assert_eq!(empty, Ok(()), "an empty body signs the URL alone");
    }

    #[test]
    fn sha256_from_the_settings_header() {
        let settings = Some("key=webhooks_sharedkey_1,algorithm=hmac_sha256");
        let algorithm = SignatureAlgorithm::from_settings_header(settings);
        assert_eq!(algorithm, Ok(SignatureAlgorithm::HmacSha256));
        let fields = pairs(STATUS_BODY);
        let params = SignedParams::Form(&fields);
        let sha256 = Some(PLAIN_SHA256_SIGNATURE);
        let result =
            verify_signature_with(SignatureAlgorithm::HmacSha256, TOKEN, PLAIN_URL, params, sha256);
        assert_eq!(result, Ok(()));
        assert_eq!(
            verify_signature(TOKEN, PLAIN_URL, params, sha256),
            Err(SignatureError::Mismatch)
        );
        for header in [None, Some(""), Some("key=k"), Some("algorithm= ,key=k")] {
            let algorithm = SignatureAlgorithm::from_settings_header(header);
            assert_eq!(algorithm, Ok(SignatureAlgorithm::HmacSha1), "{header:?}");
        }
        let unknown = SignatureAlgorithm::from_settings_header(Some("algorithm=HMAC_MD5"));
        assert_eq!(unknown, Err(SignatureError::UnsupportedAlgorithm));
    }
}
