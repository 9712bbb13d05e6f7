//! A short-lived in-process cache of authentication reads, so call ingest at tens of
//! thousands of requests per second does not read the token table on every request.
//!
//! Entries live `TTL`; any successful change to accounts, memberships or tokens through this
//! server forgets them all at once, so revoking a token or suspending a user takes effect on
//! the next request here. Changes made elsewhere (another instance, the CLI) take effect
//! within `TTL`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use callbase_app::cache::ShortLived;
use callbase_domain::{Role, UserId, WorkspaceId};
use callbase_store::Authenticated;

use crate::state::AppState;

const TTL: Duration = Duration::from_secs(2);

/// The workspace a session acts in and its role there, by user and `X-Workspace-Id`.
type ActingKey = (UserId, Option<WorkspaceId>);
type Acting = Option<(WorkspaceId, Role)>;

#[derive(Debug)]
pub struct AuthCache {
    entries: ShortLived<Vec<u8>, Authenticated>,
    acting: ShortLived<ActingKey, Acting>,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self { entries: ShortLived::new(TTL), acting: ShortLived::new(TTL) }
    }
}

impl AuthCache {
    #[must_use]
    pub fn get(&self, secret_hash: &[u8]) -> Option<Authenticated> {
        self.entries.get(secret_hash)
    }

    pub fn put(&self, secret_hash: &[u8], authenticated: Authenticated) {
        self.entries.put(secret_hash.to_vec(), authenticated);
    }

    /// Where a session acts (its first workspace, or the one its header names).
    #[must_use]
    pub fn acting(&self, user: UserId, header: Option<WorkspaceId>) -> Option<Acting> {
        self.acting.get(&(user, header))
    }

    pub fn put_acting(&self, user: UserId, header: Option<WorkspaceId>, found: Acting) {
        self.acting.put((user, header), found);
    }

    pub fn forget_all(&self) {
        self.entries.forget_all();
        self.acting.forget_all();
    }
}

/// Paths whose changes can revoke access: accounts, memberships, tokens, logging out.
fn changes_access(method: &Method, path: &str) -> bool {
    let mutation = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let access = ["/api/v1/users", "/api/v1/workspaces", "/api/v1/tokens", "/api/v1/auth/logout"];
    mutation && access.iter().any(|prefix| path.starts_with(prefix))
}

/// Forgets cached authentications after a successful change that may revoke access.
pub async fn forget_on_access_changes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let forget = changes_access(request.method(), request.uri().path());
    let response = next.run(request).await;
    if forget && response.status().is_success() {
        state.auth_cache.forget_all();
    }
    response
}
