//! Assembles the routers, the OpenAPI document and the middleware stack, and serves them.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::cache::forget_on_access_changes;
use crate::http::docs::{self, OpenApiJson};
use crate::openapi::{ApiDoc, CommonErrors};
use crate::ops::{health, metrics, rate_limit, request_id, responses, timeout};
use crate::state::AppState;

fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", crate::http::api_router())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
}

/// The OpenAPI document this build serves.
#[must_use]
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut document = documented_routes().into_openapi();
    CommonErrors.modify(&mut document);
    document
}

/// `openapi.json` exactly as committed in the repository.
#[must_use]
pub fn openapi_json() -> String {
    let mut json = openapi_document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

/// The whole application with its middleware, ready to serve.
pub fn build_app(state: AppState) -> Router {
    let settings = state.settings.clone();
    let (api, mut openapi) = documented_routes().split_for_parts();
    CommonErrors.modify(&mut openapi);
    let openapi_json = OpenApiJson(Bytes::from(openapi.to_pretty_json().unwrap_or_default()));
    let docs = docs::router(openapi_json).layer(CompressionLayer::new());

    let mut app = api
        .merge(docs)
        .fallback(responses::route_not_found)
        .method_not_allowed_fallback(responses::method_not_allowed)
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), timeout::enforce))
        .layer(axum::middleware::from_fn_with_state(state.clone(), forget_on_access_changes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .layer(axum::middleware::from_fn(metrics::track));
    if let Some(cors) = cors_layer(&settings.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(axum::middleware::from_fn(responses::json_errors))
        .layer(axum::middleware::from_fn(responses::security_headers))
        .layer(CatchPanicLayer::custom(responses::panic_response))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", %request_id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(request_id::sanitize))
        .with_state(state)
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> =
        origins.iter().filter_map(|origin| origin.parse().ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-workspace-id"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
            .allow_credentials(true)
            .max_age(Duration::from_secs(600)),
    )
}

/// Serves until `shutdown` fires, then lets in-flight requests finish (up to the grace period).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let grace = state.settings.shutdown_grace;
    let housekeeping = tokio::spawn(housekeeping(state.clone(), shutdown.clone()));
    let state_for_flush = state.clone();
    let app = build_app(state).into_make_service_with_connect_info::<SocketAddr>();
    let stopping = shutdown.clone();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stopping.cancelled().await });
    let result = tokio::select! {
        result = server => result,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(?grace, "in-flight requests did not finish within the grace period");
            Ok(())
        }
    };
    housekeeping.abort();
    // What integrations received since the last flush is written before the process ends.
    state_for_flush.activity.flush(state_for_flush.store.as_ref()).await;
    result
}

/// Periodic upkeep: integration counts every two seconds, metrics buffers and idle
/// rate-limit keys every ten seconds, recording retention and old intake receipts every
/// hour (the first pass a minute after start).
async fn housekeeping(state: AppState, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    let mut activity = tokio::time::interval(callbase_app::integrations::FLUSH_EVERY);
    let mut retention = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(60),
        Duration::from_secs(3600),
    );
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                state.metrics.run_upkeep();
                state.limiters.forget_idle();
                state.failed_logins.forget_idle();
            }
            _ = activity.tick() => state.activity.flush(state.store.as_ref()).await,
            _ = retention.tick() => {
                if let Err(err) = crate::http::recordings::retention::run_once(&state).await {
                    tracing::warn!(error = %err, "recording retention pass failed");
                }
                match callbase_app::calls::intake::forget_old_receipts(state.store.as_ref()).await {
                    Ok(forgotten) => tracing::debug!(forgotten, "old intake receipts forgotten"),
                    Err(err) => tracing::warn!(error = %err, "forgetting old intake receipts failed"),
                }
            }
        }
    }
}
