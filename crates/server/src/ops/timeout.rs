//! The request timeout: every request must be answered within `request_timeout`, except those
//! that move whole recordings (uploads, fetches, transcriptions). Those bound each wait for
//! bytes themselves, so a slow but live client is not cut off at 30 s, and the whole exchange
//! by `upload_deadline`; past it the work is dropped (its temporary file with it) and 408.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Routes that stream a recording in or out within the handler.
const LONG_RUNNING: &[&str] = &[
    "/api/v1/calls/{id}/recordings",
    "/api/v1/recordings/{id}/fetch",
    "/api/v1/recordings/{id}/transcribe",
];

pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let long_running = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| LONG_RUNNING.contains(&path.as_str()));
    if long_running {
        let deadline = state.settings.upload_deadline;
        return match tokio::time::timeout(deadline, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::new(
                ErrorCode::UploadStalled,
                format!("the transfer took longer than the {} s allowed", deadline.as_secs()),
            )
            .into_response(),
        };
    }
    match tokio::time::timeout(state.settings.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(ErrorCode::Timeout, "the request took too long").into_response(),
    }
}
