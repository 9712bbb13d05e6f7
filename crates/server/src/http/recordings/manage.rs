//! Listing, reading, annotating and deleting recordings.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::recording::RecordingStatus;
use callbase_domain::{CallId, RecordingId, Timestamp, UserId, now};
use callbase_media::storage::StorageKey;
use callbase_store::{RecordingChange, RecordingFilter};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{RecordingOut, not_found, notes};
use super::{editable_recording, visible_recording};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::http::calls::visibility::{narrow_recordings, only_calls_of};
use crate::http::pagination::{ListParams, PageOut, Sort};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordingListParams {
    pub call_id: Option<CallId>,
    /// Recordings of this lead's calls.
    pub lead_id: Option<Uuid>,
    /// Uploaded by this user, or of calls that belong to them.
    pub user_id: Option<UserId>,
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    /// `wav`, `mp3`, `ogg`, `flac`, `m4a`, `mp4`, `mov` or `webm`.
    pub format: Option<String>,
    pub min_duration_ms: Option<i64>,
    pub status: Option<RecordingStatus>,
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, as this server issued it for the same `sort`
    /// (any other value is refused with 400 `invalid_cursor`); empty for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// `-created_at` (default, newest first) or `created_at`.
    #[param(inline)]
    pub sort: Option<Sort>,
}

/// The workspace's recordings, newest first, with filters.
#[utoipa::path(get, path = "/recordings", tag = "recordings", params(RecordingListParams),
    responses((status = 200, body = PageOut<RecordingOut>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_recordings(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<RecordingListParams>,
) -> ApiResult<Json<PageOut<RecordingOut>>> {
    let workspace = principal.workspace_id()?;
    let page = ListParams { limit: params.limit, cursor: params.cursor, sort: params.sort }
        .page_request()?;
    let mut filter = RecordingFilter {
        call_id: params.call_id,
        lead_id: params.lead_id,
        user_id: params.user_id,
        from: params.from,
        to: params.to,
        format: params.format.map(|f| f.to_ascii_lowercase()),
        min_duration_ms: params.min_duration_ms,
        status: params.status,
    };
    narrow_recordings(&mut filter, only_calls_of(&state, &principal).await?)?;
    let found = state.store.list_recordings(workspace, &filter, &page).await?;
    Ok(Json(PageOut::from_page(found, &page, RecordingOut::from)))
}

/// One recording with its media facts.
#[utoipa::path(get, path = "/recordings/{id}", tag = "recordings", params(("id" = RecordingId, Path)),
    responses((status = 200, body = RecordingOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
) -> ApiResult<Json<RecordingOut>> {
    let workspace = principal.workspace_id()?;
    let recording = visible_recording(&state, &principal, workspace, id).await?;
    Ok(Json(recording.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordingPatchIn {
    /// `null` or blank clears them.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
}

/// Edits the recording's notes (audited).
#[utoipa::path(patch, path = "/recordings/{id}", tag = "recordings", params(("id" = RecordingId, Path)),
    request_body = RecordingPatchIn,
    responses((status = 200, body = RecordingOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
    Json(input): Json<RecordingPatchIn>,
) -> ApiResult<Json<RecordingOut>> {
    let workspace = principal.require_write()?;
    editable_recording(&state, &principal, id).await?;
    let mut change = RecordingChange::at(now());
    if let Some(given) = input.notes {
        change.notes = Some(notes(given)?);
    }
    let mut audit = principal.audit("recording.update", "recording", id);
    audit.details = json!({ "notes": change.notes.is_some() });
    let recording = state
        .store
        .update_recording(workspace, id, &change, Some(&audit))
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(recording.into()))
}

/// Deletes the recording, its transcript and its bytes (its uploader, owners and admins).
#[utoipa::path(delete, path = "/recordings/{id}", tag = "recordings", params(("id" = RecordingId, Path)),
    responses((status = 204, description = "deleted"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
) -> ApiResult<StatusCode> {
    let workspace = principal.require_write()?;
    let recording = visible_recording(&state, &principal, workspace, id).await?;
    let uploader = recording.uploaded_by == Some(principal.user.id);
    if !uploader && !principal.role()?.can_administer() {
        return Err(ApiError::forbidden(
            "only the recording's uploader, owners and admins can delete it",
        ));
    }
    let audit = principal.audit("recording.delete", "recording", id);
    let deleted =
        state.store.delete_recording(workspace, id, &audit).await?.ok_or_else(not_found)?;
    remove_bytes(&state, &deleted).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a deleted recording's bytes. The row is gone already: a failure here leaves an
/// orphaned object, logged for the operator, never a row pointing at nothing.
pub(crate) async fn remove_bytes(
    state: &AppState,
    recording: &callbase_domain::recording::Recording,
) {
    let Some(media) = &recording.media else { return };
    match StorageKey::parse(&media.storage_key) {
        Ok(key) => {
            if let Err(err) = state.blobs.delete(&key).await {
                tracing::warn!(key = %key, error = %err, "could not remove a deleted recording's bytes");
            }
        }
        Err(err) => tracing::warn!(error = %err, "a deleted recording had an invalid storage key"),
    }
}

/// The storage keys of every recording `filter` selects, read before their rows go with a
/// deleted call or workspace (the database cascades rows, not bytes).
pub(crate) async fn stored_keys(
    state: &AppState,
    workspace: callbase_domain::WorkspaceId,
    filter: &RecordingFilter,
) -> ApiResult<Vec<StorageKey>> {
    let mut keys = Vec::new();
    let mut page = callbase_store::PageRequest::first(callbase_store::PageRequest::MAX_LIMIT);
    loop {
        let found = state.store.list_recordings(workspace, filter, &page).await?;
        keys.extend(
            found
                .items
                .iter()
                .filter_map(|r| r.media.as_ref())
                .filter_map(|m| StorageKey::parse(&m.storage_key).ok()),
        );
        match found.next {
            Some(after) => page.after = Some(after),
            None => return Ok(keys),
        }
    }
}

/// Removes bytes whose rows are gone; failures are logged (orphans, never dangling rows).
pub(crate) async fn remove_keys(state: &AppState, keys: Vec<StorageKey>) {
    for key in keys {
        if let Err(err) = state.blobs.delete(&key).await {
            tracing::warn!(key = %key, error = %err, "could not remove a deleted recording's bytes");
        }
    }
}
