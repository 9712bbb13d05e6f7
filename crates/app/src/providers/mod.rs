//! Clients for the telephony providers' REST APIs, every request through the egress client.
//!
//! [`Egress::send`](crate::egress::Egress::send) folds every non-2xx answer into
//! `NoAnswer`, which is right for a URL a user gave but loses what a provider's API says when it
//! refuses (a 401 for a wrong token, a 400 with the provider's error code). So a provider client
//! sends the request the egress client built — same client, resolver, redirect checks and
//! deadline — keeps the status, and reads the body under a cap, as [`Reply`].

#[cfg(test)]
mod stand_in;
pub mod twilio;

use bytes::Bytes;
use reqwest::header::CONTENT_TYPE;

use crate::egress::{EgressError, redacted};

/// A provider's answer, of any status, whose body is read in chunks and refused past a limit
/// (declared or read). The deadline of the request covers the body too.
pub struct Reply {
    response: reqwest::Response,
    limit: u64,
    read: u64,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.response.status().as_u16())
            .field("limit", &self.limit)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl Reply {
    fn status(&self) -> reqwest::StatusCode {
        self.response.status()
    }

    /// The media type the answer declares (`audio/x-wav`), if any.
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.response.headers().get(CONTENT_TYPE)?.to_str().ok()
    }

    /// The length the answer declares, if any.
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The most bytes this body may have.
    #[must_use]
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The next chunk of the body, or `None` at its end.
    ///
    /// # Errors
    /// `TooLarge` once the body is declared or read past the limit; `NoAnswer` when the
    /// connection fails or the deadline passes mid-body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, EgressError> {
        let limit = self.limit;
        if self.content_length().is_some_and(|length| length > limit) {
            return Err(EgressError::TooLarge { limit });
        }
        let chunk = self.response.chunk().await.map_err(|err| classify(&err))?;
        if let Some(chunk) = &chunk {
            self.read += chunk.len() as u64;
            if self.read > limit {
                return Err(EgressError::TooLarge { limit });
            }
        }
        Ok(chunk)
    }

    /// The whole body.
    ///
    /// # Errors
    /// As [`Reply::chunk`].
    pub async fn bytes(mut self) -> Result<Vec<u8>, EgressError> {
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Sends a request made with [`Egress::request`](crate::egress::Egress::request) and keeps the
/// answer whatever its status; its body may have at most `limit` bytes.
async fn exchange(request: reqwest::RequestBuilder, limit: u64) -> Result<Reply, EgressError> {
    let response = request.send().await.map_err(|err| classify(&err))?;
    Ok(Reply { response, limit, read: 0 })
}

/// As the egress client does: a refusal by its resolver or redirect check stays a refusal, and
/// every other failure upstream is logged and becomes `NoAnswer`.
fn classify(err: &reqwest::Error) -> EgressError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(egress) = cause.downcast_ref::<EgressError>() {
            return egress.clone();
        }
        source = cause.source();
    }
    let url = err.url().map(redacted).unwrap_or_default();
    tracing::info!(error = %err, %url, "provider API: no usable answer");
    EgressError::NoAnswer
}
