//! Transcripts (REC-6): segments from any speech-to-text system, and searching what was said.

use axum::extract::State;
use callbase_domain::recording::{Transcript, TranscriptSegment};
use callbase_domain::{CallId, RecordingId, Timestamp, now};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::not_found;
use super::{editable_recording, visible_recording};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::http::calls::model::CallOut;
use crate::http::calls::visibility::only_calls_of;
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentIo {
    /// Who spoke (`agent`, `customer`, `speaker_0`, …), when known.
    #[schema(max_length = 100)]
    pub speaker: Option<String>,
    #[serde(deserialize_with = "crate::extract::integer")]
    #[schema(minimum = 0)]
    pub start_ms: i64,
    /// Not before `start_ms`.
    #[serde(deserialize_with = "crate::extract::integer")]
    #[schema(minimum = 0)]
    pub end_ms: i64,
    /// Not blank; kept trimmed.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub text: String,
    #[schema(minimum = 0, maximum = 1)]
    pub confidence: Option<f64>,
}

impl From<TranscriptSegment> for SegmentIo {
    fn from(segment: TranscriptSegment) -> Self {
        Self {
            speaker: segment.speaker,
            start_ms: segment.start_ms,
            end_ms: segment.end_ms,
            text: segment.text,
            confidence: segment.confidence,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptIn {
    /// BCP 47 language tag (`en`, `de-DE`), when known.
    #[schema(max_length = 35, pattern = "^[A-Za-z0-9-]{1,35}$")]
    pub language: Option<String>,
    /// In any order; stored in time order. At most 20,000.
    #[schema(max_items = 20000)]
    pub segments: Vec<SegmentIo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptOut {
    pub recording_id: RecordingId,
    pub language: Option<String>,
    /// `manual` (sent through the API) or `automatic` (the configured transcription service).
    pub source: String,
    pub segments: Vec<SegmentIo>,
    /// All segments' text, one per line.
    pub text: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Transcript> for TranscriptOut {
    fn from(transcript: Transcript) -> Self {
        Self {
            text: transcript.text(),
            recording_id: transcript.recording_id,
            language: transcript.language,
            source: transcript.source,
            segments: transcript.segments.into_iter().map(SegmentIo::from).collect(),
            created_at: transcript.created_at,
            updated_at: transcript.updated_at,
        }
    }
}

/// Checks segments sent by a client or a transcription service.
pub(crate) fn checked(
    recording_id: RecordingId,
    language: Option<String>,
    source: &str,
    segments: Vec<SegmentIo>,
) -> ApiResult<Transcript> {
    if let Some(language) = &language
        && (language.is_empty()
            || language.len() > 35
            || !language.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(ApiError::invalid_field(
            "language",
            "must be a language tag such as en or de-DE",
        ));
    }
    let mut parsed = Vec::with_capacity(segments.len());
    for (index, segment) in segments.into_iter().enumerate() {
        if segment.speaker.as_ref().is_some_and(|s| s.chars().count() > 100) {
            return Err(ApiError::invalid_field(
                &format!("segments[{index}].speaker"),
                "at most 100 characters",
            ));
        }
        if segment.text.chars().count() > 10_000 {
            return Err(ApiError::invalid_field(
                &format!("segments[{index}].text"),
                "at most 10000 characters",
            ));
        }
        parsed.push(TranscriptSegment {
            speaker: segment.speaker.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
            start_ms: segment.start_ms,
            end_ms: segment.end_ms,
            text: segment.text,
            confidence: segment.confidence,
        });
    }
    let segments = Transcript::checked_segments(parsed)
        .map_err(|err| ApiError::invalid_field("segments", err))?;
    let at = now();
    Ok(Transcript {
        recording_id,
        language,
        source: source.to_owned(),
        segments,
        created_at: at,
        updated_at: at,
    })
}

/// Replaces the recording's transcript with these segments (audited).
#[utoipa::path(put, path = "/recordings/{id}/transcript", tag = "recordings",
    params(("id" = RecordingId, Path)), request_body = TranscriptIn,
    responses((status = 200, body = TranscriptOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_transcript(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
    Json(input): Json<TranscriptIn>,
) -> ApiResult<Json<TranscriptOut>> {
    let workspace = principal.require_write()?;
    editable_recording(&state, &principal, id).await?;
    let transcript = checked(id, input.language, "manual", input.segments)?;
    let mut audit = principal.audit("transcript.put", "recording", id);
    audit.details = serde_json::json!({ "segments": transcript.segments.len() });
    let stored = state
        .store
        .put_transcript(workspace, &transcript, Some(&audit))
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(stored.into()))
}

/// The recording's transcript.
#[utoipa::path(get, path = "/recordings/{id}/transcript", tag = "recordings",
    params(("id" = RecordingId, Path)),
    responses((status = 200, body = TranscriptOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_transcript(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
) -> ApiResult<Json<TranscriptOut>> {
    let workspace = principal.workspace_id()?;
    visible_recording(&state, &principal, workspace, id).await?;
    let transcript = state.store.transcript(workspace, id).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::TranscriptNotFound, "the recording has no transcript")
    })?;
    Ok(Json(transcript.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words that must all appear in one transcript segment.
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub q: String,
    /// Hits to return, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitOut {
    pub recording_id: RecordingId,
    pub call_id: CallId,
    pub segment: SegmentIo,
    /// The segment's text, HTML-escaped, with every match in `<mark>…</mark>`.
    pub snippet: String,
    /// The call it was said in.
    pub call: Option<CallOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    pub data: Vec<SearchHitOut>,
}

/// Searches what was said in the workspace's calls, newest first, with highlighted snippets.
#[utoipa::path(get, path = "/search", tag = "recordings", params(SearchParams),
    responses((status = 200, body = SearchOut), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchOut>> {
    let workspace = principal.workspace_id()?;
    let q = params.q.trim();
    if q.is_empty() || params.q.chars().count() > 200 {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            "query parameter q: 1 to 200 characters",
        ));
    }
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::new(ErrorCode::InvalidQuery, "query parameter limit: 1 to 200"));
    }
    let only = only_calls_of(&state, &principal).await?;
    let hits = state.store.search_transcripts(workspace, q, limit).await?;
    let mut data = Vec::with_capacity(hits.len());
    for hit in hits {
        let call = state.store.call(workspace, hit.call_id).await?;
        // An agent who sees only their own calls finds only what was said in them.
        if only.is_some() && call.as_ref().is_none_or(|call| call.user_id != only) {
            continue;
        }
        let call = call.map(CallOut::from);
        data.push(SearchHitOut {
            recording_id: hit.recording_id,
            call_id: hit.call_id,
            segment: hit.segment.into(),
            snippet: hit.snippet,
            call,
        });
    }
    Ok(Json(SearchOut { data }))
}
