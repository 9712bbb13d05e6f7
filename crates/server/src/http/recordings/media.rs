//! `GET /recordings/{id}/media`: the bytes, with entity tags and byte ranges as audio
//! elements use them; for members of the workspace, or anyone holding a share link.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use callbase_domain::{RecordingId, ShareLinkId};
use callbase_media::storage::StorageKey;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ingest::mime_of;
use super::links::verify_link;
use super::not_found;
use super::range::{RangeAnswer, requested_range};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Path, Query};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MediaParams {
    /// `1` or `true`: send as an attachment (a download) instead of inline.
    #[param(pattern = "^(0|1|true|false)$")]
    pub download: Option<String>,
    /// Share links: the link's id and signature, as `POST /recordings/{id}/share` gave them.
    pub link: Option<ShareLinkId>,
    pub signature: Option<String>,
}

/// The recording's bytes. `Range` (single, open-ended or suffix) answers 206, a range past
/// the end 416; `If-Range` and `If-None-Match` compare with the `ETag` (the SHA-256).
#[utoipa::path(get, path = "/recordings/{id}/media", tag = "recordings",
    params(("id" = RecordingId, Path), MediaParams,
        ("Range" = Option<String>, Header, description = "bytes=START-END, bytes=START- or bytes=-LENGTH")),
    responses(
        (status = 200, description = "the whole recording", content_type = "audio/*", body = Vec<u8>),
        (status = 206, description = "the requested range", content_type = "audio/*", body = Vec<u8>),
        (status = 304, description = "unchanged since the given ETag"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 416, body = ErrorBody)),
    security(("bearer" = []), ()))]
pub async fn recording_media(
    State(state): State<AppState>,
    Path(id): Path<RecordingId>,
    Query(params): Query<MediaParams>,
    request: Request,
) -> ApiResult<Response> {
    let (mut parts, _) = request.into_parts();
    let shared = params.signature.is_some();
    let (workspace, principal) = match (&params.signature, params.link) {
        (Some(signature), Some(link)) => (verify_link(&state, id, link, signature).await?, None),
        (None, None) => {
            let principal = Principal::from_request_parts(&mut parts, &state).await?;
            (principal.workspace_id()?, Some(principal))
        }
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidLink,
                "a share link needs both link and signature",
            ));
        }
    };
    let attachment = match params.download.as_deref() {
        None | Some("0" | "false") => false,
        Some("1" | "true") => true,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                "download must be 1, true, 0 or false",
            ));
        }
    };
    let recording = match &principal {
        Some(principal) => super::visible_recording(&state, principal, workspace, id).await?,
        None => state.store.recording(workspace, id).await?.ok_or_else(not_found)?,
    };
    let Some(media) = recording.media else {
        return Err(ApiError::new(ErrorCode::RecordingNotStored, "the recording has no media yet"));
    };
    let size = u64::try_from(media.size_bytes).map_err(ApiError::internal)?;
    let etag = format!("\"{}\"", media.sha256);
    let mut headers = HeaderMap::new();
    let value = |text: &str| HeaderValue::from_str(text).map_err(ApiError::internal);
    headers.insert(header::ETAG, value(&etag)?);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if shared {
        // A share link is meant to be embedded anywhere (a CRM page's <audio>); logged-in
        // requests keep the same-origin policy every other response has.
        headers.insert(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        );
    }

    if matches_etag(parts.headers.get(header::IF_NONE_MATCH), &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime_of(&media.format)));
    let disposition = if attachment { "attachment" } else { "inline" };
    let extension = media.storage_key.rsplit('.').next().unwrap_or("bin");
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&format!("{disposition}; filename=\"recording-{id}.{extension}\""))?,
    );

    let range_applies =
        parts.headers.get(header::IF_RANGE).is_none_or(|given| given.as_bytes() == etag.as_bytes());
    let answer = match parts.headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(range) if range_applies => requested_range(range, size),
        _ => RangeAnswer::Full,
    };
    let (status, range) = match answer {
        RangeAnswer::Full => (StatusCode::OK, 0..size),
        RangeAnswer::Partial(range) => {
            headers.insert(
                header::CONTENT_RANGE,
                value(&format!("bytes {}-{}/{size}", range.start, range.end - 1))?,
            );
            (StatusCode::PARTIAL_CONTENT, range)
        }
        RangeAnswer::Unsatisfiable => {
            return Err(ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                format!("the range is outside the recording's {size} bytes"),
            )
            .with_header(header::CONTENT_RANGE, format!("bytes */{size}")));
        }
    };
    headers.insert(header::CONTENT_LENGTH, value(&(range.end - range.start).to_string())?);
    let key = StorageKey::parse(&media.storage_key).map_err(ApiError::internal)?;
    let body = state.blobs.read(&key, range).await.map_err(ApiError::internal)?;
    Ok((status, headers, Body::from_stream(body)).into_response())
}

/// `If-None-Match`: `*` or a list of tags, weak ones compared weakly (RFC 9110 §13.1.2).
fn matches_etag(given: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(given) = given.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    given.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}
