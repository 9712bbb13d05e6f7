//! Recordings made elsewhere (REC-3): a PBX or provider starts and stops them, and their
//! bytes arrive later from a URL, fetched into storage on request.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_app::egress::EgressError;
use callbase_domain::recording::{Recording, RecordingStatus};
use callbase_domain::{CallId, RecordingId, Timestamp, now};
use callbase_store::{PageRequest, RecordingChange, RecordingFilter};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaFormat, SchemaType, Type};

use super::ingest::{Incoming, discard, store_received};
use super::{RecordingOut, not_found};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, JsonOrEmpty, Path};
use crate::http::calls;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartIn {
    /// When recording began; defaults to now.
    pub started_at: Option<Timestamp>,
    /// Where the finished file will be, if already known.
    #[schema(schema_with = external_url_schema)]
    pub external_url: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopIn {
    /// Which recording; defaults to the call's latest one still recording.
    pub recording_id: Option<RecordingId>,
    /// When recording ended; defaults to now.
    pub ended_at: Option<Timestamp>,
    /// Where the finished file is.
    #[schema(schema_with = external_url_schema)]
    pub external_url: Option<String>,
}

const MAX_URL_CHARS: usize = 2000;

/// An http or https URL of at most 2,000 characters. A literal address or a port the egress
/// policy refuses answers 403 `destination_refused`; names are checked as they resolve.
fn external_url_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .format(Some(SchemaFormat::Custom("uri".to_owned())))
        .pattern(Some("^[Hh][Tt][Tt][Pp][Ss]?://"))
        .max_length(Some(MAX_URL_CHARS))
        .description(Some(
            "An http or https URL. One whose literal address or port the egress policy \
             refuses answers 403 `destination_refused`; host names are checked as they \
             resolve, when the recording is fetched.",
        ))
        .build()
}

/// Marks a recording of the call as started elsewhere (status `recording`, no bytes yet).
#[utoipa::path(post, path = "/calls/{id}/recordings/start", tag = "recordings",
    params(("id" = CallId, Path)),
    request_body(content = Option<StartIn>, content_type = "application/json"),
    responses((status = 201, body = RecordingOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(call_id): Path<CallId>,
    JsonOrEmpty(input): JsonOrEmpty<StartIn>,
) -> ApiResult<(StatusCode, Json<RecordingOut>)> {
    let workspace = calls::require_call_editor(&state, &principal, call_id).await?;
    let external_url =
        input.external_url.as_deref().map(|url| checked_url(&state, url)).transpose()?;
    let at = now();
    let recording = Recording {
        id: RecordingId::new(),
        workspace_id: workspace,
        call_id,
        uploaded_by: Some(principal.user.id),
        status: RecordingStatus::Recording,
        media: None,
        external_url,
        failure: None,
        notes: None,
        started_at: Some(input.started_at.unwrap_or(at)),
        ended_at: None,
        has_transcript: false,
        created_at: at,
        updated_at: at,
    };
    let audit = principal.audit("recording.start", "recording", recording.id);
    let created =
        state.store.create_recording(&recording, &audit).await?.ok_or_else(calls::not_found)?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Marks the call's recording as stopped (status `processing` until its bytes are fetched).
#[utoipa::path(post, path = "/calls/{id}/recordings/stop", tag = "recordings",
    params(("id" = CallId, Path)),
    request_body(content = Option<StopIn>, content_type = "application/json"),
    responses((status = 200, body = RecordingOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stop_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(call_id): Path<CallId>,
    JsonOrEmpty(input): JsonOrEmpty<StopIn>,
) -> ApiResult<Json<RecordingOut>> {
    let workspace = calls::require_call_editor(&state, &principal, call_id).await?;
    state.store.call(workspace, call_id).await?.ok_or_else(calls::not_found)?;
    let active = match input.recording_id {
        Some(id) => state
            .store
            .recording(workspace, id)
            .await?
            .filter(|r| r.call_id == call_id)
            .ok_or_else(not_found)?,
        None => {
            let filter = RecordingFilter {
                call_id: Some(call_id),
                status: Some(RecordingStatus::Recording),
                ..RecordingFilter::default()
            };
            let page =
                state.store.list_recordings(workspace, &filter, &PageRequest::first(1)).await?;
            page.items.into_iter().next().ok_or_else(not_active)?
        }
    };
    if active.status != RecordingStatus::Recording {
        return Err(not_active());
    }
    let mut change = RecordingChange::at(now());
    change.status = Some(RecordingStatus::Processing);
    change.ended_at = Some(input.ended_at.unwrap_or(change.at));
    if let Some(url) = input.external_url.as_deref() {
        change.external_url = Some(Some(checked_url(&state, url)?));
    }
    let audit = principal.audit("recording.stop", "recording", active.id);
    let stopped = state
        .store
        .update_recording(workspace, active.id, &change, Some(&audit))
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(stopped.into()))
}

/// Fetches the recording's `external_url` into storage: the size limit and the format check
/// apply as for uploads. Failing fetches leave the recording `failed` with the reason.
#[utoipa::path(post, path = "/recordings/{id}/fetch", tag = "recordings",
    params(("id" = RecordingId, Path)),
    responses((status = 200, body = RecordingOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn fetch_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RecordingId>,
) -> ApiResult<Json<RecordingOut>> {
    let workspace = principal.require_write()?;
    let _slot = state.uploads.take(principal.token.id, state.settings.uploads_per_token)?;
    let recording = super::editable_recording(&state, &principal, id).await?;
    if recording.media.is_some() {
        return Err(ApiError::new(ErrorCode::Conflict, "the recording's media is stored already"));
    }
    let Some(url) = recording.external_url.clone() else {
        return Err(ApiError::new(
            ErrorCode::RecordingNotStored,
            "the recording has no external_url to fetch from",
        ));
    };
    let mut change = RecordingChange::at(now());
    match download(&state, id, &url).await {
        Ok(media) => {
            change.status = Some(RecordingStatus::Completed);
            change.failure = Some(None);
            change.ended_at = recording.ended_at.is_none().then_some(change.at);
            change.media = Some(media.clone());
            let mut audit = principal.audit("recording.fetch", "recording", id);
            audit.details = json!({ "url": url, "size_bytes": media.size_bytes });
            match state.store.update_recording(workspace, id, &change, Some(&audit)).await {
                Ok(Some(done)) => Ok(Json(done.into())),
                Ok(None) => {
                    discard(&state, &media).await;
                    Err(not_found())
                }
                Err(err) => {
                    discard(&state, &media).await;
                    Err(err.into())
                }
            }
        }
        Err(err) => {
            change.status = Some(RecordingStatus::Failed);
            change.failure = Some(Some(err.message.clone()));
            state.store.update_recording(workspace, id, &change, None).await?;
            Err(err)
        }
    }
}

/// Streams `url` into a temporary file and on into storage, through the egress client.
pub(crate) async fn download(
    state: &AppState,
    id: RecordingId,
    url: &str,
) -> ApiResult<callbase_domain::recording::MediaFacts> {
    let limit = state.settings.recording_max_bytes;
    let url = state.egress.parse_url(url).map_err(|err| egress_refusal(&err, limit))?;
    let answer = state
        .egress
        .get(&url, state.settings.upload_deadline)
        .await
        .map_err(|err| egress_refusal(&err, limit))?;
    receive(state, id, answer).await
}

/// Streams an answer the egress client got into a temporary file and on into storage, with
/// the size limit and format check of uploads.
pub(crate) async fn receive(
    state: &AppState,
    id: RecordingId,
    mut answer: callbase_app::egress::Answer,
) -> ApiResult<callbase_domain::recording::MediaFacts> {
    let limit = state.settings.recording_max_bytes;
    if answer.content_length().is_some_and(|length| length > limit) {
        return Err(super::ingest::too_large(limit));
    }
    let mut incoming = Incoming::start(state).await?;
    while let Some(chunk) = answer.chunk().await.map_err(|err| egress_refusal(&err, limit))? {
        incoming.write(&chunk).await?;
    }
    store_received(state, id, incoming.finish().await?).await
}

/// What the caller is told when the egress client refused or got nothing usable: the rule,
/// never what answered.
pub(crate) fn egress_refusal(err: &EgressError, limit: u64) -> ApiError {
    match err {
        EgressError::InvalidUrl(_) => ApiError::invalid_field("external_url", err),
        EgressError::Refused => ApiError::new(ErrorCode::DestinationRefused, err.to_string())
            .with_details(json!({ "field": "external_url" })),
        EgressError::NoAnswer => ApiError::new(
            ErrorCode::UpstreamFailed,
            "fetching the recording failed: the URL gave no usable answer",
        ),
        EgressError::TooLarge { .. } => super::ingest::too_large(limit),
    }
}

fn not_active() -> ApiError {
    ApiError::new(ErrorCode::RecordingNotActive, "the call has no recording in progress")
}

/// External URLs are http or https, at most 2,000 characters, to a destination the egress
/// policy allows (checked again address by address when fetched); credentials are dropped.
fn checked_url(state: &AppState, raw: &str) -> ApiResult<String> {
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::invalid_field("external_url", "must be at most 2000 characters"));
    }
    let url = state.egress.parse_url(raw).map_err(|err| egress_refusal(&err, 0))?;
    Ok(url.to_string())
}
