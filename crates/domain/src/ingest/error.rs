//! Why an ingest parser or a signature check refused a payload.

use std::fmt::Write as _;

/// Why a payload could not be read; each variant names the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("the body is over {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("the form has more than {limit} fields")]
    TooManyFields { limit: usize },
    #[error("the body is not a JSON object: {reason}")]
    NotJsonObject { reason: String },
    #[error("`{field}` is missing")]
    Missing { field: &'static str },
    #[error("`{field}` is given more than once")]
    Repeated { field: &'static str },
    #[error("`{field}` is not a field of this event")]
    Unknown { field: String },
    #[error("`{field}` {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("give exactly one of `{first}` and `{second}`")]
    ExactlyOne { first: &'static str, second: &'static str },
}

/// How much of a refused value an error repeats: enough to recognise it, never the whole body.
const QUOTED_CHARS: usize = 64;

impl IngestError {
    /// `field` holds `value`, which `reason` (e.g. "is not a call status") rules out.
    pub(crate) fn invalid(field: &'static str, reason: &str, value: &str) -> Self {
        let mut quoted: String = value.chars().take(QUOTED_CHARS).collect();
        if quoted.len() < value.len() {
            quoted.push('…');
        }
        let mut reason = reason.to_owned();
        let _ = write!(reason, " (got {quoted:?})");
        Self::Invalid { field, reason }
    }

    /// `field` could not be read, as a parser (serde) says, which may quote the whole value:
    /// the reason is cut short.
    pub(crate) fn unreadable(field: &'static str, reason: &str) -> Self {
        let mut short: String = reason.chars().take(QUOTED_CHARS * 2).collect();
        if short.len() < reason.len() {
            short.push('…');
        }
        Self::Invalid { field, reason: short }
    }

    /// An unknown member of a JSON object, its name cut short like a refused value.
    pub(crate) fn unknown(field: &str) -> Self {
        Self::Unknown { field: field.chars().take(QUOTED_CHARS).collect() }
    }

    /// The field the error is about, for a `validation_failed` answer's path.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Missing { field } | Self::Repeated { field } | Self::Invalid { field, .. } => {
                Some(field)
            }
            Self::Unknown { field } => Some(field),
            Self::ExactlyOne { first, .. } => Some(first),
            Self::BodyTooLarge { .. } | Self::TooManyFields { .. } | Self::NotJsonObject { .. } => {
                None
            }
        }
    }
}

/// Why a signature check refused a request. [`SignatureError::reason`] is the short text for
/// operators; a client only learns that the request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}", self.reason())]
pub enum SignatureError {
    MissingHeader,
    MalformedHeader,
    Mismatch,
    /// Twilio: the signature holds, the body is not the one `bodySHA256` in the URL names.
    BodyHashMismatch,
    /// Twilio: a raw (JSON) body came to a URL without `bodySHA256`, so nothing signs it.
    MissingBodyHash,
    /// callbase: the signature holds but its time is more than 300 s away from now.
    StaleTimestamp,
    /// Twilio: `X-Twilio-Webhooks-Signature-Settings` names an algorithm we do not know.
    UnsupportedAlgorithm,
}

impl SignatureError {
    #[must_use]
    pub const fn reason(self) -> &'static str {
        match self {
            Self::MissingHeader => "the signature header is missing",
            Self::MalformedHeader => "the signature header is malformed",
            Self::Mismatch => "the signature does not match the request and the secret",
            Self::BodyHashMismatch => "the body does not match bodySHA256 in the signed URL",
            Self::MissingBodyHash => "a raw body came without bodySHA256 in the URL",
            Self::StaleTimestamp => "the signature is more than 300 seconds old or ahead",
            Self::UnsupportedAlgorithm => "the signature algorithm is not supported",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_values_are_quoted_short() {
        let long = "x".repeat(1000);
        let error = IngestError::invalid("CallStatus", "is not a call status", &long);
        let text = error.to_string();
        assert!(text.starts_with("`CallStatus` is not a call status (got \"xxx"), "{text}");
        assert!(text.len() < 120, "{text}");
        assert_eq!(error.field(), Some("CallStatus"));
        let serde = format!("invalid type: string {long:?}, expected u16");
        assert!(IngestError::unreadable("sip_code", &serde).to_string().len() < 160);
    }

    #[test]
    fn signature_errors_say_why() {
        assert_eq!(SignatureError::Mismatch.to_string(), SignatureError::Mismatch.reason());
    }
}
