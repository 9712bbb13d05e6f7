//! What the recordings store takes and gives: filters, changes, search hits.

use callbase_domain::recording::{MediaFacts, RecordingStatus, TranscriptSegment};
use callbase_domain::{CallId, RecordingId, Timestamp, UserId};
use uuid::Uuid;

/// `GET /recordings` filters (REC-4); all optional, all combined with AND.
#[derive(Debug, Clone, Default)]
pub struct RecordingFilter {
    pub call_id: Option<CallId>,
    /// The lead of the recording's call.
    pub lead_id: Option<Uuid>,
    /// The uploader, or the user the call belongs to.
    pub user_id: Option<UserId>,
    /// Created at or after (inclusive).
    pub from: Option<Timestamp>,
    /// Created before (exclusive).
    pub to: Option<Timestamp>,
    pub format: Option<String>,
    pub min_duration_ms: Option<i64>,
    pub status: Option<RecordingStatus>,
}

/// A change to a recording; `None` leaves a field as it is.
#[derive(Debug, Clone)]
pub struct RecordingChange {
    pub notes: Option<Option<String>>,
    pub status: Option<RecordingStatus>,
    pub failure: Option<Option<String>>,
    /// Bytes stored: sets the facts, and the call's recorded length when it has none.
    pub media: Option<MediaFacts>,
    pub external_url: Option<Option<String>>,
    pub ended_at: Option<Timestamp>,
    pub at: Timestamp,
}

impl RecordingChange {
    #[must_use]
    pub fn at(at: Timestamp) -> Self {
        Self {
            notes: None,
            status: None,
            failure: None,
            media: None,
            external_url: None,
            ended_at: None,
            at,
        }
    }
}

/// One transcript segment matching a search, with the matched words marked.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptHit {
    pub recording_id: RecordingId,
    pub call_id: CallId,
    pub segment: TranscriptSegment,
    /// The segment's text with each match wrapped in `<mark>` … `</mark>`, everything else
    /// HTML-escaped.
    pub snippet: String,
}
