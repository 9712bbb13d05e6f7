//! callbase's HTTP server: routers per resource, authentication, the error table, the
//! OpenAPI document and operations.

mod app;
pub mod auth;
pub mod bootstrap;
pub mod error;
pub mod extract;
pub mod http;
pub mod openapi;
pub mod ops;
pub mod settings;
pub mod state;

pub use app::{build_app, openapi_document, openapi_json, serve};
pub use settings::{RateLimit, Secret, Settings};
pub use state::AppState;
