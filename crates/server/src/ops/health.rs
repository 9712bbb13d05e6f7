//! Liveness, readiness and the Prometheus scrape endpoint.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    /// `ok` when the check passed.
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyOut {
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = HealthOut)))]
pub async fn healthz() -> Json<HealthOut> {
    Json(HealthOut { status: "ok" })
}

/// The database answers: safe to send traffic here.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = ReadyOut), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<ReadyOut>, ApiError> {
    state.store.ping().await.map_err(|err| {
        tracing::warn!(error = %err, "readiness check failed");
        ApiError::new(ErrorCode::Unavailable, "the database is not reachable")
    })?;
    Ok(Json(ReadyOut { status: "ok", database: state.store.backend().as_str() }))
}

/// Prometheus text exposition. With `--metrics-token` set, only `Authorization: Bearer
/// <that token>` is answered.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 401, body = ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let matches = given.is_some_and(|given| {
            // Compared by hash, so the time taken says nothing about the token.
            crate::auth::hash_secret(given) == crate::auth::hash_secret(expected.expose())
        });
        if !matches {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "send Authorization: Bearer <the metrics token>",
            )
            .with_header(WWW_AUTHENTICATE, "Bearer"));
        }
    }
    let (open, idle) = state.store.pool_state();
    metrics::gauge!("db_pool_connections", "state" => "open").set(f64::from(open));
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    Ok(([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()))
}
