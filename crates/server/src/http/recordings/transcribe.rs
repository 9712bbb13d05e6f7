//! Automatic transcription through an OpenAI-compatible `/v1/audio/transcriptions` endpoint
//! (OpenAI itself, or a self-hosted whisper server speaking the same API).

use axum::extract::State;
use callbase_domain::RecordingId;
use callbase_domain::recording::MediaFacts;
use callbase_media::storage::StorageKey;
use serde::Deserialize;

use super::ingest::mime_of;
use super::not_found;
use super::transcripts::{SegmentIo, TranscriptOut, checked};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path};
use crate::settings::Transcription;
use crate::state::AppState;

/// Longest a transcription may take, upload of the audio included.
const TRANSCRIPTION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);
/// Largest transcript answer read (hours of segments fit in far less).
const MAX_ANSWER_BYTES: u64 = 32 * 1024 * 1024;

/// The `verbose_json` answer, as documented for `POST /v1/audio/transcriptions`.
#[derive(Debug, Deserialize)]
struct VerboseTranscription {
    language: Option<String>,
    text: Option<String>,
    duration: Option<f64>,
    #[serde(default)]
    segments: Vec<VerboseSegment>,
}

#[derive(Debug, Deserialize)]
struct VerboseSegment {
    start: f64,
    end: f64,
    text: String,
    avg_logprob: Option<f64>,
}

/// Transcribes the recording with the configured service and stores the result as its
/// transcript (source `automatic`), replacing any earlier one.
#[utoipa::path(post, path = "/recordings/{id}/transcribe", tag = "recordings",
    params(("id" = RecordingId, Path)),
    responses((status = 200, body = TranscriptOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn transcribe_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
) -> ApiResult<Json<TranscriptOut>> {
    let workspace = principal.require_write()?;
    let recording = super::editable_recording(&state, &principal, id).await?;
    let Some(service) = state.settings.transcription.clone() else {
        return Err(ApiError::new(
            ErrorCode::TranscriptionDisabled,
            "no transcription service is configured (see --transcription-url)",
        ));
    };
    let Some(media) = recording.media else {
        return Err(ApiError::new(ErrorCode::RecordingNotStored, "the recording has no media yet"));
    };
    let answer = request_transcription(&state, &service, &media).await?;
    let transcript =
        checked(id, language_tag(answer.language.as_deref()), "automatic", segments(answer))
            .map_err(|err| {
                upstream(format!("its answer is not a usable transcript: {}", err.message))
            })?;
    let mut audit = principal.audit("transcript.transcribe", "recording", id);
    audit.details =
        serde_json::json!({ "segments": transcript.segments.len(), "model": service.model });
    let stored = state
        .store
        .put_transcript(workspace, &transcript, Some(&audit))
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(stored.into()))
}

async fn request_transcription(
    state: &AppState,
    service: &Transcription,
    media: &MediaFacts,
) -> ApiResult<VerboseTranscription> {
    let key = StorageKey::parse(&media.storage_key).map_err(ApiError::internal)?;
    let size = u64::try_from(media.size_bytes).map_err(ApiError::internal)?;
    let bytes = state.blobs.read(&key, 0..size).await.map_err(ApiError::internal)?;
    let file =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(bytes), size)
            .file_name(format!("recording.{}", media.format))
            .mime_str(mime_of(&media.format))
            .map_err(ApiError::internal)?;
    let form = reqwest::multipart::Form::new()
        .part("file", file)
        .text("model", service.model.clone())
        .text("response_format", "verbose_json")
        .text("timestamp_granularities[]", "segment");
    let url = format!("{}/v1/audio/transcriptions", service.url.trim_end_matches('/'));
    let url = reqwest::Url::parse(&url).map_err(ApiError::internal)?;
    let mut request = state
        .egress
        .request(reqwest::Method::POST, &url, TRANSCRIPTION_DEADLINE)
        .map_err(|err| upstream(err.to_string()))?
        .multipart(form);
    if let Some(api_key) = &service.api_key {
        request = request.bearer_auth(api_key.expose());
    }
    let answer = state.egress.send(request).await.map_err(|err| upstream(err.to_string()))?;
    let body = answer.bytes(MAX_ANSWER_BYTES).await.map_err(|err| upstream(err.to_string()))?;
    serde_json::from_slice(&body)
        .map_err(|e| upstream(format!("its answer is not verbose_json: {e}")))
}

/// Segments in milliseconds; one segment of the whole text when the service gave none.
fn segments(answer: VerboseTranscription) -> Vec<SegmentIo> {
    let to_ms = |seconds: f64| {
        #[allow(clippy::cast_possible_truncation)]
        let ms = (seconds.max(0.0) * 1000.0).round() as i64;
        ms
    };
    if answer.segments.is_empty() {
        let text = answer.text.unwrap_or_default();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let end_ms = to_ms(answer.duration.unwrap_or(0.0));
        return vec![SegmentIo { speaker: None, start_ms: 0, end_ms, text, confidence: None }];
    }
    answer
        .segments
        .into_iter()
        .filter(|s| !s.text.trim().is_empty())
        .map(|s| SegmentIo {
            speaker: None,
            start_ms: to_ms(s.start),
            end_ms: to_ms(s.end).max(to_ms(s.start)),
            text: s.text.trim().to_owned(),
            // Whisper's mean token log-probability, as a probability.
            confidence: s.avg_logprob.map(|p| p.exp().clamp(0.0, 1.0)),
        })
        .collect()
}

/// Whisper names languages in English (`english`); keep only what is already a tag.
fn language_tag(language: Option<&str>) -> Option<String> {
    let language = language?.trim();
    let is_tag =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    match language {
        "english" => Some("en".to_owned()),
        "german" => Some("de".to_owned()),
        "french" => Some("fr".to_owned()),
        "spanish" => Some("es".to_owned()),
        _ if is_tag => Some(language.to_owned()),
        _ => None,
    }
}

fn upstream(reason: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::UpstreamFailed, format!("the transcription service failed: {reason}"))
}
