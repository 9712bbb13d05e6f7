//! The one HTTP client for every request the server makes to a URL that someone supplied
//! (recording fetches now; provider downloads, outbound webhooks, Microsoft Graph and
//! calendars later): SPEC REL-5.
//!
//! The host is resolved by our own resolver, which drops every address the policy refuses, and
//! the connection goes to an address that resolver returned: no second lookup that DNS could
//! answer differently. Literal addresses, ports and every redirect are checked before a
//! connection is made. Each request has an overall deadline and each body a size cap, and what
//! went wrong upstream stays in our logs: the caller learns only that the URL gave no usable
//! answer, never whether a port was closed or a host alive.

mod policy;
mod resolver;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
pub use policy::{AllowEntry, EgressPolicy, is_public};
use reqwest::{Method, Url};

/// Redirects followed at most, each checked like the first URL.
const MAX_REDIRECTS: usize = 5;
/// Longest wait for a TCP (and TLS) connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request was not made or gave nothing usable. The texts name the rule that refused,
/// never what answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    #[error("the URL is not usable: {0}")]
    InvalidUrl(&'static str),
    #[error(
        "the URL's destination is not allowed (only public addresses on ports 80 and 443, or what --egress-allow opens)"
    )]
    Refused,
    #[error("the URL gave no usable answer")]
    NoAnswer,
    #[error("the answer is larger than {limit} bytes")]
    TooLarge { limit: u64 },
}

/// The process's egress client: cheap to clone, one connection pool.
#[derive(Clone)]
pub struct Egress {
    client: reqwest::Client,
    policy: Arc<EgressPolicy>,
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl Egress {
    /// # Errors
    /// When the TLS stack cannot be set up.
    pub fn new(policy: EgressPolicy) -> Result<Self, reqwest::Error> {
        let policy = Arc::new(policy);
        let redirects = Arc::clone(&policy);
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .dns_resolver(Arc::new(resolver::GuardedResolver::new(Arc::clone(&policy))))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error(EgressError::NoAnswer)
                } else if let Err(err) = redirects.check_url(attempt.url()) {
                    attempt.error(err)
                } else {
                    attempt.follow()
                }
            }))
            .build()?;
        Ok(Self { client, policy })
    }

    /// The policy this client enforces.
    #[must_use]
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    /// Parses `raw` and checks it against the policy without connecting: what a URL must pass
    /// before it is stored for a later fetch. A user name and password in it are dropped, so
    /// they are never stored, shown or logged.
    ///
    /// # Errors
    /// When it is not an http(s) URL or names a destination the policy refuses by its literal
    /// address or port.
    pub fn parse_url(&self, raw: &str) -> Result<Url, EgressError> {
        let mut url = Url::parse(raw.trim()).map_err(|_| EgressError::InvalidUrl("not a URL"))?;
        self.policy.check_url(&url)?;
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(url)
    }

    /// Starts a request to `url` that must be finished within `deadline`, body included.
    ///
    /// # Errors
    /// When the URL's literal address or port is refused (names are checked as they resolve).
    pub fn request(
        &self,
        method: Method,
        url: &Url,
        deadline: Duration,
    ) -> Result<reqwest::RequestBuilder, EgressError> {
        self.policy.check_url(url)?;
        Ok(self.client.request(method, url.clone()).timeout(deadline))
    }

    /// Sends a request made with [`Egress::request`]; a non-2xx answer is [`EgressError::NoAnswer`].
    ///
    /// # Errors
    /// Refused destinations (on any redirect too), and every upstream failure as `NoAnswer`.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, EgressError> {
        let response = request.send().await.map_err(|err| classify(&err))?;
        let status = response.status();
        if !status.is_success() {
            tracing::info!(%status, url = %redacted(response.url()), "egress: upstream refused");
            return Err(EgressError::NoAnswer);
        }
        Ok(Answer { response })
    }

    /// `GET url` within `deadline`.
    ///
    /// # Errors
    /// As [`Egress::send`].
    pub async fn get(&self, url: &Url, deadline: Duration) -> Result<Answer, EgressError> {
        self.send(self.request(Method::GET, url, deadline)?).await
    }
}

/// A successful answer whose body is read in chunks under a size cap.
pub struct Answer {
    response: reqwest::Response,
}

impl Answer {
    /// The length the answer declares, if any.
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next chunk of the body, or `None` at its end.
    ///
    /// # Errors
    /// `NoAnswer` when the connection fails or the deadline passes mid-body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, EgressError> {
        self.response.chunk().await.map_err(|err| classify(&err))
    }

    /// The whole body, refused past `limit` bytes (declared or read).
    ///
    /// # Errors
    /// `TooLarge` past the limit, else as [`Answer::chunk`].
    pub async fn bytes(mut self, limit: u64) -> Result<Vec<u8>, EgressError> {
        if self.content_length().is_some_and(|length| length > limit) {
            return Err(EgressError::TooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(EgressError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A refusal by the resolver or the redirect check stays a refusal; everything else upstream
/// (refused or timed-out connections, TLS, resets) is logged and becomes one answer.
fn classify(err: &reqwest::Error) -> EgressError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(egress) = cause.downcast_ref::<EgressError>() {
            return egress.clone();
        }
        source = cause.source();
    }
    let url = err.url().map(redacted).unwrap_or_default();
    tracing::info!(error = %err, %url, "egress: no usable answer");
    EgressError::NoAnswer
}

/// `url` without user name, password, query or fragment: safe to log or show.
#[must_use]
pub fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// `raw` without the user name and password a URL may carry, for storing and showing; text
/// that is not a URL is returned as it is.
#[must_use]
pub fn without_credentials(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}
