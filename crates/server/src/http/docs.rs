//! The API document and the browsable docs at `/docs`, every asset served from the binary.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use bytes::Bytes;

use crate::state::AppState;

const INDEX_HTML: &str = include_str!("../../assets/docs/index.html");
const INIT_JS: &str = include_str!("../../assets/docs/init.js");
const SWAGGER_JS: &str = include_str!("../../assets/docs/swagger-ui-bundle.js");
const SWAGGER_CSS: &str = include_str!("../../assets/docs/swagger-ui.css");

/// The rendered OpenAPI document, shared by every request.
#[derive(Clone)]
pub struct OpenApiJson(pub Bytes);

pub fn router(openapi: OpenApiJson) -> Router<AppState> {
    Router::new()
        .route("/docs", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/docs/", get(|| async { Redirect::permanent("/docs") }))
        .route("/docs/init.js", get(|| async { asset("text/javascript; charset=utf-8", INIT_JS) }))
        .route(
            "/docs/swagger-ui-bundle.js",
            get(|| async { asset("text/javascript; charset=utf-8", SWAGGER_JS) }),
        )
        .route(
            "/docs/swagger-ui.css",
            get(|| async { asset("text/css; charset=utf-8", SWAGGER_CSS) }),
        )
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let body = openapi.0.clone();
                async move { ([(CONTENT_TYPE, "application/json")], body) }
            }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}
