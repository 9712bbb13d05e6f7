//! Pure parsers and signature checks for the push sources (INGEST-1 … 4): Twilio, Placetel, a
//! SIP server and a recorder post events, and each is read here into a [`CallReport`] or a
//! [`RecordingReport`] in the terms of the call model. Nothing here does I/O.
//!
//! Rules every parser keeps:
//! - Bounded work: a body over [`MAX_BODY_BYTES`] or a form with more than [`MAX_FORM_FIELDS`]
//!   fields is refused before anything in it is read.
//! - Every refusal is an [`IngestError`] naming the field and why; nothing panics.
//! - `at` is the provider's time of the event when it gives one, else the `received_at` the
//!   caller passes in.
//! - `talk_seconds` is the provider's figure as given; the intake reads it only on a
//!   `completed` report, so a busy call's "0 seconds" answers nothing.
//! - `receipt` is built from what a re-delivery repeats, never from the time of receipt.
//!
//! [`CallReport`]: crate::CallReport
//! [`RecordingReport`]: crate::RecordingReport

mod error;
mod form;
mod hex;
mod json;
pub mod placetel;
pub mod recorder;
pub mod signed;
pub mod sip_webhook;
pub mod twilio;

#[cfg(test)]
mod properties;

pub use error::{IngestError, SignatureError};
pub use form::Form;

use crate::Source;

/// The largest body any parser here reads: the biggest real payload (a Twilio status callback
/// with every geo field) is under 2 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The most fields a form may have: Twilio sends about 40.
pub const MAX_FORM_FIELDS: usize = 256;

/// The longest id (a `CallSid`, a `call_id`, a SIP Call-ID) taken from a payload.
pub const MAX_ID_BYTES: usize = 255;

/// One of the fixed source names below, valid by construction (`source_names_are_valid`).
fn source(name: &'static str) -> Source {
    Source::parse(name).expect("the ingest source names are valid")
}

/// An id as a provider sent it: not blank, at most [`MAX_ID_BYTES`], no control characters, so
/// it can be stored, logged and put into a receipt as is.
fn id(field: &'static str, value: &str) -> Result<String, IngestError> {
    if value.trim().is_empty() {
        return Err(IngestError::Missing { field });
    }
    if value.len() > MAX_ID_BYTES {
        let reason = format!("is longer than {MAX_ID_BYTES} bytes");
        return Err(IngestError::invalid(field, &reason, value));
    }
    if value.chars().any(char::is_control) {
        return Err(IngestError::invalid(field, "has control characters", value));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_are_valid() {
        for name in [twilio::SOURCE, placetel::SOURCE, sip_webhook::SOURCE, recorder::SOURCE] {
            assert!(Source::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn ids_are_bounded_and_printable() {
        assert_eq!(id("CallSid", "CA12"), Ok("CA12".to_owned()));
        assert_eq!(id("CallSid", " "), Err(IngestError::Missing { field: "CallSid" }));
        assert!(id("CallSid", &"a".repeat(256)).is_err());
        assert!(id("CallSid", "CA\n12").is_err());
    }
}
