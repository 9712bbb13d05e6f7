//! `/recordings` and `/calls/{id}/recordings`: upload, facts, streaming with ranges, share
//! links, recordings made elsewhere, transcripts and their search (REC).

pub(crate) mod ingest;

pub use ingest::clear_abandoned_uploads;
pub use slots::{UploadSlot, UploadSlots};
pub(crate) mod lifecycle;
mod links;
pub(crate) mod manage;
mod media;
mod range;
pub mod retention;
mod slots;
mod transcribe;
mod transcripts;
mod upload;

use axum::extract::DefaultBodyLimit;
use callbase_domain::recording::{Recording, RecordingStatus};
use callbase_domain::{CallId, RecordingId, Timestamp, UserId, WorkspaceId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::calls;
use crate::http::calls::visibility::only_calls_of;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    // Uploads stream to a file and count bytes against the recording limit themselves.
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload::upload_recording))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(manage::list_recordings))
        .routes(routes!(manage::get_recording, manage::update_recording, manage::delete_recording))
        .routes(routes!(media::recording_media))
        .routes(routes!(links::share_recording))
        .routes(routes!(links::list_share_links))
        .routes(routes!(links::revoke_share_link))
        .routes(routes!(lifecycle::start_recording))
        .routes(routes!(lifecycle::stop_recording))
        .routes(routes!(lifecycle::fetch_recording))
        .routes(routes!(transcripts::get_transcript, transcripts::put_transcript))
        .routes(routes!(transcribe::transcribe_recording))
        .routes(routes!(transcripts::search))
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(ErrorCode::RecordingNotFound, "no such recording")
}

/// A recording the caller may see: 404 as for a missing one when it belongs to a call the
/// caller may not see (an agent who sees only their own calls, AUTH-6) and they did not
/// upload it.
pub(crate) async fn visible_recording(
    state: &AppState,
    principal: &Principal,
    workspace: WorkspaceId,
    id: RecordingId,
) -> ApiResult<Recording> {
    let recording = state.store.recording(workspace, id).await?.ok_or_else(not_found)?;
    if let Some(me) = only_calls_of(state, principal).await?
        && recording.uploaded_by != Some(me)
    {
        let call = state.store.call(workspace, recording.call_id).await?;
        if call.is_none_or(|call| call.user_id != Some(me)) {
            return Err(not_found());
        }
    }
    Ok(recording)
}

/// A recording the caller may change: writers may, except that an agent changes only the
/// recordings of calls assigned to them (AUTH-2).
pub(crate) async fn editable_recording(
    state: &AppState,
    principal: &Principal,
    id: RecordingId,
) -> ApiResult<Recording> {
    let workspace = principal.require_write()?;
    let recording = visible_recording(state, principal, workspace, id).await?;
    calls::require_call_editor(state, principal, recording.call_id).await?;
    Ok(recording)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingOut {
    pub id: RecordingId,
    pub call_id: CallId,
    pub status: RecordingStatus,
    /// `wav`, `mp3`, `ogg`, `flac`, `m4a`, `mp4`, `mov` or `webm`: detected from the bytes.
    pub format: Option<String>,
    /// As ffprobe names it: `pcm_s16le`, `pcm_mulaw`, `mp3`, `opus`, `aac`, …
    pub codec: Option<String>,
    pub duration_ms: Option<i64>,
    /// Samples per channel, where the container states it exactly.
    pub sample_count: Option<i64>,
    pub sample_rate: Option<i32>,
    pub channels: Option<i32>,
    /// Bits per second.
    pub bitrate: Option<i64>,
    pub size_bytes: Option<i64>,
    /// Lowercase hex SHA-256 of the bytes (also the media's `ETag`).
    pub sha256: Option<String>,
    /// Where the media streams from (with ranges), once stored.
    pub media_url: Option<String>,
    /// Where a recording made elsewhere can be fetched from.
    pub external_url: Option<String>,
    /// Why recording or fetching failed.
    pub failure: Option<String>,
    pub notes: Option<String>,
    pub uploaded_by: Option<UserId>,
    pub has_transcript: bool,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Recording> for RecordingOut {
    fn from(recording: Recording) -> Self {
        let media = recording.media.as_ref();
        Self {
            id: recording.id,
            call_id: recording.call_id,
            status: recording.status,
            format: media.map(|m| m.format.clone()),
            codec: media.map(|m| m.codec.clone()),
            duration_ms: media.map(|m| m.duration_ms),
            sample_count: media.and_then(|m| m.sample_count),
            sample_rate: media.map(|m| m.sample_rate),
            channels: media.map(|m| m.channels),
            bitrate: media.map(|m| m.bitrate),
            size_bytes: media.map(|m| m.size_bytes),
            sha256: media.map(|m| m.sha256.clone()),
            media_url: media.map(|_| format!("/api/v1/recordings/{}/media", recording.id)),
            external_url: recording
                .external_url
                .as_deref()
                .map(callbase_app::egress::without_credentials),
            failure: recording.failure,
            notes: recording.notes,
            uploaded_by: recording.uploaded_by,
            has_transcript: recording.has_transcript,
            started_at: recording.started_at,
            ended_at: recording.ended_at,
            created_at: recording.created_at,
            updated_at: recording.updated_at,
        }
    }
}

/// Notes are free text up to 10,000 characters (counted as sent, like a schema's
/// `maxLength`), kept trimmed; blank clears them.
pub(crate) fn notes(raw: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.chars().count() > 10_000 {
        return Err(ApiError::invalid_field("notes", "at most 10000 characters"));
    }
    let trimmed = raw.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}
