//! The one error type of the API: a stable snake_case code from one table, an HTTP status,
//! a message for people and details for programs.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use callbase_app::egress::EgressError;
use callbase_app::error::AppError;
use callbase_app::providers::twilio::TwilioError;
use callbase_domain::IntegrationId;
use callbase_domain::call::CallRejection;
use callbase_store::{ConflictKind, StoreError};

/// Declares every error code once, with its HTTP status.
macro_rules! error_codes {
    ($($variant:ident => ($status:ident, $code:literal),)*) => {
        /// Every machine-readable error code the API answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            #[must_use]
            pub const fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }
        }
    };
}

error_codes! {
    BadRequest => (BAD_REQUEST, "bad_request"),
    MalformedJson => (BAD_REQUEST, "malformed_json"),
    InvalidQuery => (BAD_REQUEST, "invalid_query"),
    InvalidPath => (BAD_REQUEST, "invalid_path"),
    InvalidHeader => (BAD_REQUEST, "invalid_header"),
    InvalidCursor => (BAD_REQUEST, "invalid_cursor"),
    Unauthenticated => (UNAUTHORIZED, "unauthenticated"),
    InvalidCredentials => (UNAUTHORIZED, "invalid_credentials"),
    TokenRevoked => (UNAUTHORIZED, "token_revoked"),
    TokenExpired => (UNAUTHORIZED, "token_expired"),
    AccountSuspended => (FORBIDDEN, "account_suspended"),
    Forbidden => (FORBIDDEN, "forbidden"),
    CrossSiteRequest => (FORBIDDEN, "cross_site_request"),
    SessionRequired => (FORBIDDEN, "session_required"),
    NoWorkspace => (FORBIDDEN, "no_workspace"),
    RouteNotFound => (NOT_FOUND, "route_not_found"),
    UserNotFound => (NOT_FOUND, "user_not_found"),
    WorkspaceNotFound => (NOT_FOUND, "workspace_not_found"),
    MemberNotFound => (NOT_FOUND, "member_not_found"),
    TokenNotFound => (NOT_FOUND, "token_not_found"),
    CallNotFound => (NOT_FOUND, "call_not_found"),
    BlockNotFound => (NOT_FOUND, "blocklist_entry_not_found"),
    RecordingNotFound => (NOT_FOUND, "recording_not_found"),
    TranscriptNotFound => (NOT_FOUND, "transcript_not_found"),
    ShareLinkNotFound => (NOT_FOUND, "share_link_not_found"),
    InvitationNotFound => (NOT_FOUND, "invitation_not_found"),
    IntegrationNotFound => (NOT_FOUND, "integration_not_found"),
    InvalidSignature => (FORBIDDEN, "invalid_signature"),
    SecretKeyRequired => (CONFLICT, "secret_key_required"),
    RecordingNotStored => (CONFLICT, "recording_not_stored"),
    RecordingNotActive => (CONFLICT, "recording_not_active"),
    InvalidMedia => (UNPROCESSABLE_ENTITY, "invalid_media"),
    RangeNotSatisfiable => (RANGE_NOT_SATISFIABLE, "range_not_satisfiable"),
    InvalidLink => (FORBIDDEN, "invalid_link"),
    LinkExpired => (FORBIDDEN, "link_expired"),
    UpstreamFailed => (BAD_GATEWAY, "upstream_failed"),
    DestinationRefused => (FORBIDDEN, "destination_refused"),
    TranscriptionDisabled => (CONFLICT, "transcription_disabled"),
    NumberBlocked => (FORBIDDEN, "number_blocked"),
    IllegalTransition => (CONFLICT, "illegal_transition"),
    CallNotConnected => (CONFLICT, "call_not_connected"),
    CallConflict => (CONFLICT, "call_conflict"),
    AlreadyBlocked => (CONFLICT, "already_blocked"),
    MethodNotAllowed => (METHOD_NOT_ALLOWED, "method_not_allowed"),
    EmailTaken => (CONFLICT, "email_taken"),
    AlreadyMember => (CONFLICT, "already_member"),
    LastOwner => (CONFLICT, "last_owner"),
    LastSuperuser => (CONFLICT, "last_superuser"),
    Conflict => (CONFLICT, "conflict"),
    PayloadTooLarge => (PAYLOAD_TOO_LARGE, "payload_too_large"),
    UploadStalled => (REQUEST_TIMEOUT, "upload_stalled"),
    UnsupportedMediaType => (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
    ValidationFailed => (UNPROCESSABLE_ENTITY, "validation_failed"),
    RateLimited => (TOO_MANY_REQUESTS, "rate_limited"),
    TooManyUploads => (TOO_MANY_REQUESTS, "too_many_uploads"),
    Internal => (INTERNAL_SERVER_ERROR, "internal"),
    Unavailable => (SERVICE_UNAVAILABLE, "unavailable"),
    Timeout => (SERVICE_UNAVAILABLE, "timeout"),
    PublicUrlRequired => (CONFLICT, "public_url_required"),
}

/// An error answered to a client. Server faults keep their cause for the log only.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(axum::http::HeaderName, String)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: json!({}), headers: Vec::new() }
    }

    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    #[must_use]
    pub fn with_header(
        mut self,
        name: axum::http::HeaderName,
        value: impl std::fmt::Display,
    ) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    /// A 422 naming the field and why it was refused.
    pub fn invalid_field(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::ValidationFailed, format!("{field}: {reason}"))
            .with_details(json!({ "field": field, "reason": reason.to_string() }))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// A server fault: logged in full with the request's span, answered without internals.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal server error")
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorObject {
    /// Stable, machine-readable, snake_case.
    #[schema(example = "workspace_not_found")]
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorObject {
                code: self.code.as_str().to_owned(),
                message: self.message,
                details: self.details,
            },
        };
        let mut response = (self.code.status(), Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = value.parse() {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(ConflictKind::Email) => {
                Self::new(ErrorCode::EmailTaken, "a user with this e-mail address already exists")
                    .with_details(json!({ "field": "email" }))
            }
            StoreError::Conflict(ConflictKind::Member) => Self::new(
                ErrorCode::AlreadyMember,
                "the user is already a member of this workspace",
            ),
            StoreError::Conflict(ConflictKind::BlocklistEntry) => Self::new(
                ErrorCode::AlreadyBlocked,
                "this number or prefix is already on the do-not-call list",
            ),
            StoreError::Conflict(
                kind @ (ConflictKind::Token | ConflictKind::Workspace | ConflictKind::Call),
            ) => Self::new(ErrorCode::Conflict, format!("{kind} already exists")),
            StoreError::LastOwner => Self::new(
                ErrorCode::LastOwner,
                "a workspace must keep at least one owner: make someone else owner first",
            ),
            StoreError::Rejected(CallRejection::IllegalTransition { from, to }) => Self::new(
                ErrorCode::IllegalTransition,
                format!("a call cannot go from {from} to {to}"),
            )
            .with_details(json!({ "from": from, "to": to })),
            StoreError::Rejected(CallRejection::NotConnected { status }) => Self::new(
                ErrorCode::CallNotConnected,
                format!("only a connected call can be transferred; this one is {status}"),
            )
            .with_details(json!({ "status": status })),
            StoreError::WorkspaceGone => {
                Self::new(ErrorCode::WorkspaceNotFound, "the workspace no longer exists")
            }
            err if err.is_busy() => {
                tracing::warn!("database pool timed out");
                Self::new(ErrorCode::Unavailable, "the database is busy, try again")
                    .with_header(axum::http::header::RETRY_AFTER, 1)
            }
            err @ (StoreError::Corrupt { .. }
            | StoreError::Database(_)
            | StoreError::Sqlite(_)
            | StoreError::Migrate(_)) => Self::internal(err),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Invalid { field, reason } => Self::invalid_field(&field, reason),
            AppError::InvalidQuery { parameter, reason } => {
                Self::new(ErrorCode::InvalidQuery, format!("query parameter {parameter}: {reason}"))
                    .with_details(json!({ "parameter": parameter, "reason": reason }))
            }
            AppError::Forbidden { message, field: Some(field) } => {
                Self::forbidden(message).with_details(json!({ "field": field }))
            }
            AppError::Forbidden { message, field: None } => Self::forbidden(message),
            AppError::CallNotFound => Self::new(ErrorCode::CallNotFound, "no such call"),
            AppError::RecordingNotFound => {
                Self::new(ErrorCode::RecordingNotFound, "no such recording")
            }
            AppError::UserNotFound { field } => Self::new(
                ErrorCode::UserNotFound,
                format!("{field}: not a member of this workspace"),
            )
            .with_details(json!({ "field": field })),
            AppError::WorkspaceNotFound => {
                Self::new(ErrorCode::WorkspaceNotFound, "the workspace no longer exists")
            }
            AppError::NumberBlocked { number, entries } => {
                let entries: Vec<_> = entries
                    .iter()
                    .map(|(id, reason)| json!({ "id": id, "reason": reason }))
                    .collect();
                Self::new(ErrorCode::NumberBlocked, format!("{number} is on the do-not-call list"))
                    .with_details(json!({ "number": number, "entries": entries }))
            }
            AppError::CallConflict { call_id } => Self::new(
                ErrorCode::CallConflict,
                "a different call was already logged with this source and external_id",
            )
            .with_details(json!({ "call_id": call_id, "field": "external_id" })),
            AppError::IntegrationNotFound => {
                Self::new(ErrorCode::IntegrationNotFound, "no such integration")
            }
            AppError::SecretKeyMissing => Self::new(
                ErrorCode::SecretKeyRequired,
                "integration secrets are sealed with CALLBASE_SECRET_KEY, which this server \
                 lacks: set it (the same on every instance) and restart",
            ),
            AppError::BadSignature(reason) => {
                Self::new(ErrorCode::InvalidSignature, format!("signature: {reason}"))
                    .with_details(json!({ "reason": reason }))
            }
            err @ (AppError::SecretsUnreadable(_) | AppError::Internal(_)) => Self::internal(err),
            AppError::Store(err) => err.into(),
            AppError::PublicUrlRequired => Self::new(
                ErrorCode::PublicUrlRequired,
                "placing a call through an integration needs the server's public URL, which \
                 Twilio sends the call's status callbacks to: set CALLBASE_PUBLIC_URL and restart",
            ),
            AppError::Twilio { integration_id, error } => twilio_failure(integration_id, error),
        }
    }
}

/// Twilio not placing a call. Every refusal of Twilio's is 502 `upstream_failed` with its
/// status, error code and message in `details`, the client's slips among them (21211, an
/// invalid `To`): the number passed our own checks, and most codes (21210 an unverified
/// `From`, 21215 geographic permissions, 20003 credentials) are the account's setup, so one
/// code with Twilio's own is what a client can act on.
fn twilio_failure(integration_id: IntegrationId, error: TwilioError) -> ApiError {
    let upstream = |message: String| {
        ApiError::new(ErrorCode::UpstreamFailed, message)
            .with_details(json!({ "provider": "twilio", "integration_id": integration_id }))
    };
    match error {
        TwilioError::Refused { status, code, message, more_info } => {
            let error = code.map(|code| format!(" (error {code})")).unwrap_or_default();
            ApiError::new(
                ErrorCode::UpstreamFailed,
                format!("Twilio refused the call{error}: {message}"),
            )
            .with_details(json!({
                "provider": "twilio",
                "integration_id": integration_id,
                "status": status,
                "code": code,
                "message": message,
                "more_info": more_info,
            }))
        }
        TwilioError::Unauthorized => upstream(
            "Twilio refused the integration's account SID and auth token: correct them on the \
             integration (PATCH /integrations/{id}, PUT /integrations/{id}/secrets)"
                .to_owned(),
        ),
        TwilioError::Invalid { field: field @ ("account_sid" | "auth_token"), reason } => upstream(
            format!("the integration's {field} cannot be sent to Twilio ({reason}): replace it"),
        ),
        err @ TwilioError::Invalid { .. } => ApiError::internal(err),
        TwilioError::Egress(err @ EgressError::Refused) => {
            ApiError::new(ErrorCode::DestinationRefused, format!("Twilio's API: {err}"))
                .with_details(json!({ "provider": "twilio", "integration_id": integration_id }))
        }
        err @ TwilioError::Egress(EgressError::InvalidUrl(_)) => ApiError::internal(err),
        TwilioError::Egress(EgressError::NoAnswer | EgressError::TooLarge { .. })
        | TwilioError::BadAnswer(_) => upstream(
            "Twilio's API gave no usable answer; the call may still have been placed, and its \
             status callbacks will log it"
                .to_owned(),
        ),
    }
}

impl From<callbase_domain::ingest::IngestError> for ApiError {
    fn from(err: callbase_domain::ingest::IngestError) -> Self {
        AppError::from(err).into()
    }
}

/// The response for a status that no handler produced (timeouts, panics, limits).
#[must_use]
pub fn for_status(status: StatusCode) -> ApiError {
    let code = ErrorCode::ALL
        .iter()
        .copied()
        .find(|code| code.status() == status && generic_for_status(*code))
        .unwrap_or(if status.is_client_error() {
            ErrorCode::BadRequest
        } else {
            ErrorCode::Internal
        });
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    ApiError::new(code, message)
}

/// The codes that may stand for a bare status.
const fn generic_for_status(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::BadRequest
            | ErrorCode::Unauthenticated
            | ErrorCode::Forbidden
            | ErrorCode::RouteNotFound
            | ErrorCode::MethodNotAllowed
            | ErrorCode::Conflict
            | ErrorCode::PayloadTooLarge
            | ErrorCode::UnsupportedMediaType
            | ErrorCode::ValidationFailed
            | ErrorCode::RateLimited
            | ErrorCode::Internal
            | ErrorCode::Timeout
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "duplicate code {text}");
            assert!(text.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{text}");
        }
    }

    #[test]
    fn bare_statuses_map_to_their_code() {
        assert_eq!(for_status(StatusCode::PAYLOAD_TOO_LARGE).code, ErrorCode::PayloadTooLarge);
        assert_eq!(for_status(StatusCode::SERVICE_UNAVAILABLE).code, ErrorCode::Timeout);
        assert_eq!(for_status(StatusCode::IM_A_TEAPOT).code.status(), StatusCode::BAD_REQUEST);
    }
}
