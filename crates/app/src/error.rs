//! What a use case can refuse, in terms the edges (HTTP, CLI) map once to their own answers.

use callbase_domain::call::FieldError;
use callbase_domain::{BlockId, CallId, E164, IntegrationId};
use callbase_store::StoreError;

use crate::providers::twilio::TwilioError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field of the input cannot be taken as given.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A search parameter cannot be read.
    #[error("query parameter {parameter}: {reason}")]
    InvalidQuery { parameter: String, reason: String },
    /// The caller's role does not allow this; `field` names the input that asked for it.
    #[error("{message}")]
    Forbidden { message: String, field: Option<&'static str> },
    #[error("no such call")]
    CallNotFound,
    #[error("no such recording")]
    RecordingNotFound,
    /// `field` names a user who is not a member of the workspace.
    #[error("{field}: not a member of this workspace")]
    UserNotFound { field: &'static str },
    #[error("the workspace no longer exists")]
    WorkspaceNotFound,
    #[error("{number} is on the do-not-call list")]
    NumberBlocked { number: E164, entries: Vec<(BlockId, Option<String>)> },
    /// A different call was logged under the same source and external id.
    #[error("a different call was already logged with this source and external_id")]
    CallConflict { call_id: CallId },
    #[error("no such integration")]
    IntegrationNotFound,
    /// No key to seal or open integration secrets with.
    #[error("integration secrets need CALLBASE_SECRET_KEY on this server")]
    SecretKeyMissing,
    /// Sealed secrets the key cannot open (it changed), or no randomness to seal with.
    #[error("integration secrets cannot be read: {0}")]
    SecretsUnreadable(String),
    /// A provider's request whose signature does not verify.
    #[error("signature: {0}")]
    BadSignature(&'static str),
    /// A fault of the server's own (logged, answered without details).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Placing a call through a provider needs the server's public URL, which the provider's
    /// status callbacks are sent to.
    #[error("the server's public URL (CALLBASE_PUBLIC_URL) is not set")]
    PublicUrlRequired,
    /// Twilio did not place the call through the integration: it refused (its answer
    /// included), could not be reached, or the integration's credentials cannot be sent.
    #[error("Twilio: {error}")]
    Twilio { integration_id: IntegrationId, error: TwilioError },
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::Invalid { field: field.to_owned(), reason: reason.to_string() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden { message: message.into(), field: None }
    }
}

impl From<callbase_domain::ingest::IngestError> for AppError {
    fn from(err: callbase_domain::ingest::IngestError) -> Self {
        let field = err.field().unwrap_or("body").to_owned();
        Self::Invalid { field, reason: err.to_string() }
    }
}

impl From<FieldError> for AppError {
    fn from(err: FieldError) -> Self {
        Self::Invalid { field: err.field.to_owned(), reason: err.reason }
    }
}
