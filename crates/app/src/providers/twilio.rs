//! Twilio's REST API (2010-04-01): placing an outbound call and fetching a recording's media,
//! with HTTP basic auth (account SID : auth token), through the egress client.
//!
//! Credentials go only to the API's own origin (scheme, host and port of `api_base`): a
//! recording URL elsewhere is fetched without them, and a redirect away from the API loses the
//! `Authorization` header (reqwest drops it on every cross-origin hop).

use std::fmt;
use std::time::Duration;

use callbase_domain::E164;
use reqwest::{Method, Url};
use serde::Deserialize;

use super::{Reply, exchange};
use crate::egress::{Egress, EgressError};

/// Where Twilio's API lives; a setting so tests (or a compatible provider) can point elsewhere.
pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";
/// Placing a call is one small request: Twilio answers within seconds or not at all.
const CREATE_CALL_DEADLINE: Duration = Duration::from_secs(15);
/// A call resource is about 2 KiB, an error about 200 bytes.
const ANSWER_LIMIT: u64 = 64 * 1024;
/// What Twilio takes as inline TwiML (error 32018 past it).
const MAX_TWIML_CHARS: usize = 4000;
/// Twilio rings for at most 600 seconds.
const MAX_TIMEOUT_SECONDS: u32 = 600;

/// Why Twilio could not be asked, or what it answered instead of doing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwilioError {
    /// An input was refused before anything was sent.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Twilio refused the account SID and auth token (401).
    #[error("Twilio refused the account SID and auth token")]
    Unauthorized,
    /// Twilio refused the request (another 4xx) with its error `code` when its body had one
    /// (`21211`: the `To` number is not valid); `more_info` links Twilio's page on the code.
    #[error("Twilio refused the request with status {status}: {message}")]
    Refused { status: u16, code: Option<u32>, message: String, more_info: Option<String> },
    /// The egress client refused the destination, or nothing usable came back (5xx included).
    #[error(transparent)]
    Egress(#[from] EgressError),
    /// A 2xx whose body is not what Twilio documents.
    #[error("Twilio's answer cannot be read: {0}")]
    BadAnswer(String),
}

impl TwilioError {
    fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid { field, reason: reason.into() }
    }
}

/// An account SID: `AC` and 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountSid(String);

impl AccountSid {
    /// # Errors
    /// `Invalid` when it is not `AC` followed by 32 hex digits.
    pub fn parse(raw: &str) -> Result<Self, TwilioError> {
        let raw = raw.trim();
        let hex = raw.strip_prefix("AC").unwrap_or_default();
        if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(TwilioError::invalid("account_sid", "must be AC followed by 32 hex digits"))
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The account's auth token. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    /// # Errors
    /// `Invalid` when it is empty or holds anything but visible ASCII.
    pub fn new(token: String) -> Result<Self, TwilioError> {
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(token))
        } else {
            Err(TwilioError::invalid("auth_token", "must be visible ASCII characters"))
        }
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(***)")
    }
}

/// The call progress events Twilio reports to `StatusCallback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEvent {
    Initiated,
    Ringing,
    Answered,
    Completed,
}

impl CallEvent {
    /// Every event: what a call log wants to see.
    pub const ALL: [Self; 4] = [Self::Initiated, Self::Ringing, Self::Answered, Self::Completed];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Initiated => "initiated",
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Completed => "completed",
        }
    }
}

/// What the call does once answered: Twilio requires exactly one of `Twiml`, `Url` or
/// `ApplicationSid`, so this is a choice, and a required one — a default would place real calls
/// that do something nobody asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallInstructions {
    /// Inline TwiML, at most 4000 characters.
    Twiml(String),
    /// A URL Twilio POSTs to for the TwiML.
    Url(Url),
}

/// An outbound call to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCall {
    pub to: E164,
    /// A Twilio number or verified caller ID of the account (or `client:…`).
    pub from: String,
    pub instructions: CallInstructions,
    /// Where Twilio POSTs the call's progress (our webhook).
    pub status_callback: Url,
    /// Which progress to report; Twilio reports only `completed` when none are named.
    pub status_callback_events: Vec<CallEvent>,
    pub record: bool,
    /// Where Twilio POSTs when the recording is ready.
    pub recording_status_callback: Option<Url>,
    /// Seconds to ring before giving up (1–600; Twilio's default is 60).
    pub timeout_seconds: Option<u32>,
}

impl CreateCall {
    /// The form Twilio's `Calls.json` takes, fields checked first.
    fn form(&self) -> Result<String, TwilioError> {
        let from = self.from.trim();
        if from.is_empty() || from.chars().any(char::is_control) {
            return Err(TwilioError::invalid("from", "must be a number or client identity"));
        }
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("To", self.to.as_str()).append_pair("From", from);
        match &self.instructions {
            CallInstructions::Twiml(twiml) => {
                let chars = twiml.chars().count();
                if twiml.trim().is_empty() || chars > MAX_TWIML_CHARS {
                    let reason = format!("must be 1 to {MAX_TWIML_CHARS} characters");
                    return Err(TwilioError::invalid("twiml", reason));
                }
                form.append_pair("Twiml", twiml);
            }
            CallInstructions::Url(url) => {
                form.append_pair("Url", web_url("url", url)?);
            }
        }
        form.append_pair("StatusCallback", web_url("status_callback", &self.status_callback)?)
            .append_pair("StatusCallbackMethod", "POST");
        for (i, event) in self.status_callback_events.iter().enumerate() {
            // Twilio takes each event once; a repeat is the caller's slip, not a second report.
            if !self.status_callback_events[..i].contains(event) {
                form.append_pair("StatusCallbackEvent", event.as_str());
            }
        }
        form.append_pair("Record", if self.record { "true" } else { "false" });
        if let Some(url) = &self.recording_status_callback {
            form.append_pair("RecordingStatusCallback", web_url("recording_status_callback", url)?);
        }
        if let Some(seconds) = self.timeout_seconds {
            if !(1..=MAX_TIMEOUT_SECONDS).contains(&seconds) {
                let reason = format!("must be 1 to {MAX_TIMEOUT_SECONDS} seconds");
                return Err(TwilioError::invalid("timeout_seconds", reason));
            }
            form.append_pair("Timeout", &seconds.to_string());
        }
        Ok(form.finish())
    }
}

/// A URL Twilio will call: http(s) with a host.
fn web_url<'u>(field: &'static str, url: &'u Url) -> Result<&'u str, TwilioError> {
    if matches!(url.scheme(), "http" | "https") && url.has_host() {
        Ok(url.as_str())
    } else {
        Err(TwilioError::invalid(field, "must be an http or https URL"))
    }
}

/// The call Twilio created: its SID (`CA…`), status (`queued`) and the whole resource.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedCall {
    pub sid: String,
    pub status: String,
    pub raw: serde_json::Value,
}

/// Twilio's error body: `{"code": 21211, "message": "…", "more_info": "…", "status": 400}`.
#[derive(Default, Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
}

/// One Twilio account's API. Cheap to clone: the egress client is shared.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    egress: Egress,
    api_base: Url,
    account_sid: AccountSid,
    auth_token: AuthToken,
}

impl TwilioClient {
    /// A client for Twilio's API at [`DEFAULT_API_BASE`].
    #[must_use]
    pub fn new(egress: Egress, account_sid: AccountSid, auth_token: AuthToken) -> Self {
        let api_base = Url::parse(DEFAULT_API_BASE).expect("the default API base is a URL");
        Self { egress, api_base, account_sid, auth_token }
    }

    /// The same client for an API at `api_base` (`http://127.0.0.1:8080` in tests). Any path it
    /// has prefixes the API's.
    ///
    /// # Errors
    /// `Invalid` when it is not an http(s) URL with a host, or carries credentials, a query or
    /// a fragment.
    pub fn with_api_base(mut self, api_base: Url) -> Result<Self, TwilioError> {
        let plain = api_base.username().is_empty()
            && api_base.password().is_none()
            && api_base.query().is_none()
            && api_base.fragment().is_none();
        if web_url("api_base", &api_base).is_err() || !plain {
            return Err(TwilioError::invalid(
                "api_base",
                "must be an http or https URL without credentials, query or fragment",
            ));
        }
        self.api_base = api_base;
        Ok(self)
    }

    #[must_use]
    pub fn account_sid(&self) -> &AccountSid {
        &self.account_sid
    }

    /// Places an outbound call: `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`.
    ///
    /// Not retried: when the answer is lost (`Egress(NoAnswer)`), Twilio may still have placed
    /// the call, and its status callback will tell.
    ///
    /// # Errors
    /// `Invalid` before sending; `Unauthorized`, `Refused` for Twilio's refusals; `Egress` when
    /// the API cannot be reached; `BadAnswer` for a 2xx that is not a call resource.
    #[tracing::instrument(skip_all, fields(account_sid = %self.account_sid))]
    pub async fn create_call(&self, call: &CreateCall) -> Result<CreatedCall, TwilioError> {
        let form = call.form()?;
        let url =
            self.api_url(&["2010-04-01", "Accounts", self.account_sid.as_str(), "Calls.json"]);
        let request = self
            .egress
            .request(Method::POST, &url, CREATE_CALL_DEADLINE)?
            .basic_auth(self.account_sid.as_str(), Some(self.auth_token.expose()))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form);
        let reply = exchange(request, ANSWER_LIMIT).await?;
        if !reply.status().is_success() {
            return Err(refusal(reply, true).await);
        }
        let raw: serde_json::Value = serde_json::from_slice(&reply.bytes().await?)
            .map_err(|_| TwilioError::BadAnswer("the call resource is not JSON".to_owned()))?;
        let field = |name: &str| {
            raw.get(name).and_then(serde_json::Value::as_str).filter(|v| !v.is_empty()).map_or_else(
                || Err(TwilioError::BadAnswer(format!("the call resource has no {name}"))),
                |value| Ok(value.to_owned()),
            )
        };
        let (sid, status) = (field("sid")?, field("status")?);
        tracing::info!(%sid, %status, "twilio: call created");
        Ok(CreatedCall { sid, status, raw })
    }

    /// Starts fetching a recording's media (`RecordingUrl` with `.wav` or `.mp3` appended) for
    /// the caller to stream into storage: at most `limit` bytes within `deadline`.
    ///
    /// The account's credentials are sent only when `media_url` has the API's origin; a
    /// recording kept elsewhere is fetched without them, and so is any redirect away from the
    /// API. Credentials written into `media_url` itself are dropped.
    ///
    /// # Errors
    /// `Egress` when the URL is refused or gives no usable answer (or declares more than
    /// `limit`); `Unauthorized` and `Refused` for the API's 4xx refusals (`Refused` with code
    /// 20404 for a recording that is gone). Another host's refusal is `Egress(NoAnswer)`.
    #[tracing::instrument(skip_all, fields(account_sid = %self.account_sid))]
    pub async fn fetch_recording(
        &self,
        media_url: &Url,
        limit: u64,
        deadline: Duration,
    ) -> Result<Reply, TwilioError> {
        let mut url = media_url.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let mut request = self.egress.request(Method::GET, &url, deadline)?;
        let from_api = self.is_api_origin(&url);
        if from_api {
            request = request.basic_auth(self.account_sid.as_str(), Some(self.auth_token.expose()));
        }
        let reply = exchange(request, limit).await?;
        if !reply.status().is_success() {
            return Err(refusal(reply, from_api).await);
        }
        if reply.content_length().is_some_and(|length| length > limit) {
            return Err(EgressError::TooLarge { limit }.into());
        }
        Ok(reply)
    }

    /// Whether `url` is on the API's scheme, host and port: the only place credentials go.
    fn is_api_origin(&self, url: &Url) -> bool {
        takes_credentials(&self.api_base, url)
    }

    fn api_url(&self, segments: &[&str]) -> Url {
        let mut url = self.api_base.clone();
        // `with_api_base` took only http(s) URLs with a host, which always have segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }
}

/// Whether a request to `url` may carry the account's credentials: only on the scheme, host
/// and port of the API at `api_base` (a recording URL on another port or over plain HTTP gets
/// none).
#[must_use]
pub fn takes_credentials(api_base: &Url, url: &Url) -> bool {
    url.origin() == api_base.origin()
}

/// What a non-2xx answer means: from the API, 401 is `Unauthorized` and another 4xx Twilio's
/// refusal with its code when the body has one. Anything else, and every refusal from another
/// host (a URL someone supplied: REL-5 tells them nothing of what answered), is an upstream
/// failure.
async fn refusal(mut reply: Reply, from_api: bool) -> TwilioError {
    let status = reply.status();
    if from_api && status == reqwest::StatusCode::UNAUTHORIZED {
        tracing::warn!("twilio: the account SID and auth token were refused");
        return TwilioError::Unauthorized;
    }
    if !from_api || !status.is_client_error() {
        tracing::info!(%status, "twilio: no usable answer");
        return TwilioError::Egress(EgressError::NoAnswer);
    }
    // An error is small whatever a recording may be; one whose body cannot be read is still a
    // refusal, only without Twilio's code.
    reply.limit = reply.limit.min(ANSWER_LIMIT);
    let body = reply.bytes().await.ok();
    let ErrorBody { code, message, more_info } =
        body.and_then(|body| serde_json::from_slice(&body).ok()).unwrap_or_default();
    let message =
        message.unwrap_or_else(|| status.canonical_reason().unwrap_or("refused").to_owned());
    tracing::info!(%status, ?code, "twilio: request refused");
    TwilioError::Refused { status: status.as_u16(), code, message, more_info }
}

#[cfg(test)]
mod tests;
