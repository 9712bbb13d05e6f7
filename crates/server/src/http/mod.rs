//! The HTTP API under `/api/v1`: one module and one router per resource.

pub mod audit;
pub mod auth;
pub mod blocklist;
pub mod calls;
pub mod docs;
pub mod integrations;
pub mod invitations;
pub mod members;
pub mod pagination;
pub mod recordings;
pub mod tokens;
pub mod users;
pub mod workspaces;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every resource router, to be nested under `/api/v1`.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(users::router())
        .merge(workspaces::router())
        .merge(members::router())
        .merge(invitations::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(calls::router())
        .merge(blocklist::router())
        .merge(integrations::router())
        .merge(crate::ingest::router())
        .merge(recordings::router())
}
