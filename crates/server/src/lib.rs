//! callbase's HTTP server: routers per resource, authentication, the error table, the
//! OpenAPI document and operations.

mod app;
pub mod auth;
pub mod bootstrap;
pub mod error;
pub mod extract;
pub mod http;
mod ingest;
pub mod openapi;
pub mod ops;
pub mod settings;
pub mod state;

pub use app::{build_app, openapi_document, openapi_json, serve};
pub use settings::{
    RateLimit, RecordingStorage, Secret, Settings, Transcription, WorkspaceCreation,
};

/// Makes rustls use *ring* for every outgoing TLS connection (object storage, fetching
/// recordings, transcription), so no second crypto library is built. Call once at start-up;
/// later calls do nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
pub use state::AppState;
