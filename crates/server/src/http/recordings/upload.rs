//! `POST /calls/{id}/recordings`: a raw body or a multipart form, streamed to storage.

use axum::body::BodyDataStream;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use callbase_domain::recording::{Recording, RecordingStatus};
use callbase_domain::{CallId, RecordingId, now};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{IntoParams, ToSchema};

use super::ingest::{Incoming, Received, discard, store_received, too_large};
use super::{RecordingOut, notes};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::http::calls;
use crate::state::AppState;

/// Notes in the query: 4,000 characters, 12 bytes each at worst once URL-encoded, fit the
/// 64 KiB a request line may take.
const MAX_QUERY_NOTES: usize = 4000;

/// Room a multipart envelope may take beyond the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// Notes to keep with the recording (raw uploads; forms send a `notes` field, which
    /// may be longer): at most 4,000 characters, so that the URL stays within 64 KiB.
    #[param(max_length = 4000)]
    pub notes: Option<String>,
}

/// The multipart form: the file and optional notes; other fields are not read.
pub struct UploadForm;

impl utoipa::PartialSchema for UploadForm {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property(
                "file",
                audio_bytes().description(Some(
                    "The audio file (its name and type are ignored: the bytes decide).",
                )),
            )
            .required("file")
            .property(
                "notes",
                ObjectBuilder::new().schema_type(Type::String).max_length(Some(10_000)),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for UploadForm {}

/// The audio file as the raw body.
pub struct AudioBytes;

impl utoipa::PartialSchema for AudioBytes {
    fn schema() -> RefOr<Schema> {
        audio_bytes().into()
    }
}

impl ToSchema for AudioBytes {}

fn audio_bytes() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
}

/// Uploads a recording of the call: streamed to storage, its format detected from the
/// bytes and its facts read in-process. 413 beyond the size limit, 415 for formats we do not
/// take, 422 for broken files; nothing is stored then.
#[utoipa::path(post, path = "/calls/{id}/recordings", tag = "recordings",
    params(("id" = CallId, Path), UploadParams),
    request_body(content(
        (AudioBytes = "application/octet-stream"),
        (UploadForm = "multipart/form-data"),
    ), description = "The audio file as the raw body, or a form with a `file` field"),
    responses((status = 201, body = RecordingOut), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_recording(
    State(state): State<AppState>,
    principal: Principal,
    Path(call_id): Path<CallId>,
    Query(params): Query<UploadParams>,
    request: Request,
) -> ApiResult<(StatusCode, Json<RecordingOut>)> {
    let _slot = state.uploads.take(principal.token.id, state.settings.uploads_per_token)?;
    let is_form =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(
            |v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"),
        );
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (workspace, received, form_notes) = if is_form {
        let workspace = check_upload(&state, &principal, call_id, declared, &params).await?;
        let (received, notes) = receive_form(&state, request).await?;
        (workspace, received, notes)
    } else {
        // A raw upload refused part-way is read to its end (within bounds) before the
        // answer, so the client, still sending, reads the refusal instead of a reset.
        let mut body = request.into_body().into_data_stream();
        let received = async {
            let workspace = check_upload(&state, &principal, call_id, declared, &params).await?;
            Ok((workspace, receive_raw(&state, &mut body).await?))
        }
        .await;
        match received {
            Ok((workspace, received)) => (workspace, received, None),
            Err(err) => {
                if declared.is_none_or(|length| length <= DRAIN_AT_MOST) {
                    drain(&mut body).await;
                }
                return Err(err);
            }
        }
    };
    let notes = notes(form_notes.or(params.notes))?;

    let id = RecordingId::new();
    let media = store_received(&state, id, received).await?;
    let at = now();
    let recording = Recording {
        id,
        workspace_id: workspace,
        call_id,
        uploaded_by: Some(principal.user.id),
        status: RecordingStatus::Completed,
        media: Some(media.clone()),
        external_url: None,
        failure: None,
        notes,
        started_at: None,
        ended_at: None,
        has_transcript: false,
        created_at: at,
        updated_at: at,
    };
    let audit = principal.audit("recording.create", "recording", id);
    let created = match state.store.create_recording(&recording, &audit).await {
        Ok(Some(created)) => created,
        Ok(None) => {
            discard(&state, &media).await;
            return Err(calls::not_found());
        }
        Err(err) => {
            discard(&state, &media).await;
            return Err(err.into());
        }
    };
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Most bytes, and longest time, spent reading the rest of a refused upload.
const DRAIN_AT_MOST: u64 = 8 * 1024 * 1024;
const DRAIN_FOR_AT_MOST: std::time::Duration = std::time::Duration::from_secs(2);

/// The workspace the caller may write in, when the call exists there, the declared size
/// is within the limit and the query's notes are short enough.
async fn check_upload(
    state: &AppState,
    principal: &Principal,
    call_id: CallId,
    declared: Option<u64>,
    params: &UploadParams,
) -> ApiResult<callbase_domain::WorkspaceId> {
    if params.notes.as_ref().is_some_and(|notes| notes.chars().count() > MAX_QUERY_NOTES) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            "query parameter notes: at most 4000 characters (send longer notes in a form)",
        )
        .with_details(serde_json::json!({ "parameter": "notes" })));
    }
    let workspace = calls::require_call_editor(state, principal, call_id).await?;
    state.store.call(workspace, call_id).await?.ok_or_else(calls::not_found)?;
    let limit = state.settings.recording_max_bytes;
    if declared.is_some_and(|length| length > limit + MULTIPART_OVERHEAD) {
        return Err(too_large(limit));
    }
    Ok(workspace)
}

/// Reads and drops what is left of `body`, up to `DRAIN_AT_MOST` bytes and
/// `DRAIN_FOR_AT_MOST`; past either, the connection is closed with the answer.
async fn drain(body: &mut BodyDataStream) {
    let reading = async {
        let mut read = 0_u64;
        while let Some(Ok(chunk)) = body.next().await {
            read += chunk.len() as u64;
            if read > DRAIN_AT_MOST {
                break;
            }
        }
    };
    drop(tokio::time::timeout(DRAIN_FOR_AT_MOST, reading).await);
}

async fn receive_raw(state: &AppState, stream: &mut BodyDataStream) -> ApiResult<Received> {
    let mut incoming = Incoming::start(state).await?;
    let patience = state.settings.request_timeout;
    while let Some(chunk) = within(patience, stream.next()).await? {
        let chunk = chunk.map_err(|err| {
            ApiError::new(ErrorCode::BadRequest, format!("the upload was interrupted: {err}"))
        })?;
        incoming.write(&chunk).await?;
    }
    incoming.finish().await
}

/// The `file` field (or the first field with a file name) and the `notes` field.
async fn receive_form(state: &AppState, request: Request) -> ApiResult<(Received, Option<String>)> {
    let bad = |err: axum::extract::multipart::MultipartError| {
        ApiError::new(ErrorCode::BadRequest, format!("the multipart form cannot be read: {err}"))
    };
    let mut form = Multipart::from_request(request, state).await.map_err(|rejection| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("the multipart form cannot be read: {rejection}"),
        )
    })?;
    let mut received = None;
    let mut notes = None;
    let patience = state.settings.request_timeout;
    while let Some(mut field) = within(patience, form.next_field()).await?.map_err(bad)? {
        let is_file = field.name() == Some("file") || field.file_name().is_some();
        if is_file && received.is_none() {
            let mut incoming = Incoming::start(state).await?;
            while let Some(chunk) = within(patience, field.chunk()).await?.map_err(bad)? {
                incoming.write(&chunk).await?;
            }
            received = Some(incoming.finish().await?);
        } else if field.name() == Some("notes") {
            // Read in pieces so an endless field cannot fill memory.
            let mut text = Vec::new();
            while let Some(chunk) = within(patience, field.chunk()).await?.map_err(bad)? {
                text.extend_from_slice(&chunk);
                if text.len() > 40_000 {
                    return Err(ApiError::invalid_field("notes", "at most 10000 characters"));
                }
            }
            let text = String::from_utf8(text)
                .map_err(|_| ApiError::invalid_field("notes", "must be UTF-8 text"))?;
            notes = Some(text);
        }
    }
    let received =
        received.ok_or_else(|| ApiError::invalid_field("file", "the form has no file field"))?;
    Ok((received, notes))
}

/// Within the upload deadline an upload may take its time, but no single wait for bytes — in
/// the file, in any other field, between fields — may take longer than the request timeout (a
/// stalled client is answered 408 and its partial file removed).
async fn within<T>(patience: std::time::Duration, next: impl Future<Output = T>) -> ApiResult<T> {
    tokio::time::timeout(patience, next).await.map_err(|_| {
        ApiError::new(
            ErrorCode::UploadStalled,
            format!("no bytes arrived for {} s; the upload was abandoned", patience.as_secs()),
        )
    })
}
