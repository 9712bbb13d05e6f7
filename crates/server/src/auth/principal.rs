//! The authenticated caller of a request, the workspace it acts in and its role there.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use callbase_domain::{Role, WorkspaceId, now};
use callbase_store::{AuditEntry, Token, TokenKind, User};

use super::secret::{hash_secret, session_cookie_name};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::settings::Settings;
use crate::state::AppState;

/// Header that picks the workspace a session acts in.
pub const WORKSPACE_HEADER: &str = "x-workspace-id";

/// How often `last_used_at` is written at most (microseconds): once a minute is precise
/// enough to spot stale tokens and keeps authentication a read.
const TOUCH_GRANULARITY_MICROS: i64 = 60_000_000;

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub addr: Option<IpAddr>,
    pub request_id: Option<String>,
}

impl ClientInfo {
    pub(crate) fn from_parts(parts: &Parts, settings: &Settings) -> Self {
        Self::from_head(&parts.headers, &parts.extensions, settings)
    }

    pub(crate) fn from_head(
        headers: &axum::http::HeaderMap,
        extensions: &axum::http::Extensions,
        settings: &Settings,
    ) -> Self {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        let forwarded = if settings.trust_forwarded_for {
            forwarded_client(headers, peer, &settings.trusted_proxies)
        } else {
            None
        };
        let request_id =
            headers.get("x-request-id").and_then(|value| value.to_str().ok()).map(str::to_owned);
        Self { addr: forwarded.or(peer), request_id }
    }
}

/// The client behind our proxies: `X-Forwarded-For` read from the right, where each proxy
/// appended the address it was called from, skipping the proxies we trust. Whatever a client
/// wrote on the left itself is never reached while a hop is untrusted. When trusted proxies are
/// listed, the header counts only if the connection itself comes from one of them.
fn forwarded_client(
    headers: &axum::http::HeaderMap,
    peer: Option<IpAddr>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let is_trusted = |addr: &IpAddr| trusted.iter().any(|net| net.contains(addr));
    if !trusted.is_empty() && !peer.is_some_and(|peer| is_trusted(&peer)) {
        return None;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Option<Vec<_>>>()?;
    hops.iter().rev().find(|hop| !is_trusted(hop)).or(hops.first()).copied()
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts, &state.settings))
    }
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub token: Token,
    /// The workspace this request acts in and the caller's role there.
    pub workspace: Option<(WorkspaceId, Role)>,
    pub client: ClientInfo,
}

impl Principal {
    /// The acting workspace, or 403 when the caller has none.
    pub fn workspace_id(&self) -> ApiResult<WorkspaceId> {
        self.workspace.map(|(id, _)| id).ok_or_else(|| {
            ApiError::new(ErrorCode::NoWorkspace, "you are not a member of any workspace")
        })
    }

    pub fn role(&self) -> ApiResult<Role> {
        self.workspace.map(|(_, role)| role).ok_or_else(|| {
            ApiError::new(ErrorCode::NoWorkspace, "you are not a member of any workspace")
        })
    }

    /// Creating and changing the workspace's data: everyone but viewers.
    pub fn require_write(&self) -> ApiResult<WorkspaceId> {
        let role = self.role()?;
        if role.can_write() {
            self.workspace_id()
        } else {
            Err(ApiError::forbidden(format!("the {role} role is read-only")))
        }
    }

    /// The caller as the call rules see a writer: `require_write`, then who they are.
    pub fn writer(&self) -> ApiResult<callbase_app::calls::Actor> {
        let workspace = self.require_write()?;
        Ok(callbase_app::calls::Actor { workspace, user: self.user.id, role: self.role()? })
    }

    /// Members, tokens and settings of the acting workspace: owners and admins.
    pub fn require_admin(&self) -> ApiResult<WorkspaceId> {
        let role = self.role()?;
        if role.can_administer() {
            self.workspace_id()
        } else {
            Err(ApiError::forbidden(format!("the {role} role cannot administer the workspace")))
        }
    }

    /// Superuser powers: a superuser's interactive session, never an API token (AUTH-6).
    #[must_use]
    pub fn is_superuser(&self) -> bool {
        self.user.is_superuser && self.token.kind == TokenKind::Session
    }

    pub fn require_superuser(&self) -> ApiResult<()> {
        if self.is_superuser() {
            Ok(())
        } else if self.user.is_superuser {
            Err(session_required("superuser powers need a login session, not an API token"))
        } else {
            Err(ApiError::forbidden("only a superuser can do this"))
        }
    }

    /// Things only a person at a login session may do (creating tokens, superuser powers).
    pub fn require_session(&self, what: &str) -> ApiResult<()> {
        if self.token.kind == TokenKind::Session {
            Ok(())
        } else {
            Err(session_required(&format!("{what} needs a login session, not an API token")))
        }
    }

    /// The caller's role in `workspace`, or 404 when it may not see that workspace at all.
    /// An API token only ever reaches its own workspace.
    pub async fn role_in(&self, state: &AppState, workspace: WorkspaceId) -> ApiResult<Role> {
        let not_found = || ApiError::new(ErrorCode::WorkspaceNotFound, "no such workspace");
        if self.token.kind == TokenKind::Api {
            return match self.workspace {
                Some((id, role)) if id == workspace => Ok(role),
                _ => Err(not_found()),
            };
        }
        session_role(state, &self.user, workspace).await
    }

    /// An audit entry for a change made by this caller in its acting workspace.
    #[must_use]
    pub fn audit(
        &self,
        action: &str,
        target_type: &str,
        target_id: impl std::fmt::Display,
    ) -> AuditEntry {
        self.audit_in(self.workspace.map(|(id, _)| id), action, target_type, target_id)
    }

    #[must_use]
    pub fn audit_in(
        &self,
        workspace: Option<WorkspaceId>,
        action: &str,
        target_type: &str,
        target_id: impl std::fmt::Display,
    ) -> AuditEntry {
        AuditEntry {
            target_type: target_type.to_owned(),
            actor_user: Some(self.user.id),
            actor_token: Some(self.token.id),
            client_addr: self.client.addr.map(|addr| addr.to_string()),
            request_id: self.client.request_id.clone(),
            ..AuditEntry::new(workspace, action, target_id)
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(principal) = parts.extensions.get::<Self>() {
            return Ok(principal.clone());
        }
        let cookie_name = session_cookie_name(state.settings.public_url.as_deref());
        let (secret, carrier) = bearer_secret(parts, cookie_name).ok_or_else(|| {
            unauthenticated("send Authorization: Bearer <token> (from POST /api/v1/auth/login or /api/v1/tokens)")
        })?;
        // One read (or a recent one): the token, its user and the role in its workspace.
        let secret_hash = hash_secret(&secret);
        let authenticated = match state.auth_cache.get(&secret_hash) {
            Some(cached) => cached,
            None => {
                let fresh = state
                    .store
                    .authenticate(&secret_hash)
                    .await?
                    .ok_or_else(|| unauthenticated("the token is not valid"))?;
                state.auth_cache.put(&secret_hash, fresh.clone());
                fresh
            }
        };
        if carrier == Carrier::Cookie {
            check_same_origin(parts, &state.settings)?;
        }
        let callbase_store::Authenticated { mut token, user, role } = authenticated;
        let at = now();
        if token.revoked_at.is_some() {
            return Err(ApiError::new(ErrorCode::TokenRevoked, "the token has been revoked"));
        }
        if token.expires_at.is_some_and(|expiry| expiry <= at) {
            return Err(ApiError::new(ErrorCode::TokenExpired, "the token has expired"));
        }
        if user.status == callbase_domain::UserStatus::Suspended {
            return Err(ApiError::new(ErrorCode::AccountSuspended, "this account is suspended"));
        }
        let workspace = acting_workspace(parts, state, &token, &user, role).await?;
        let stale = token.last_used_at.is_none_or(|used| {
            callbase_domain::to_micros(at) - callbase_domain::to_micros(used)
                >= TOUCH_GRANULARITY_MICROS
        });
        if stale {
            state.store.touch_token(token.id, at, TOUCH_GRANULARITY_MICROS).await?;
            // Cached copies must not make every request within the TTL touch again.
            token.last_used_at = Some(at);
            let touched =
                callbase_store::Authenticated { token: token.clone(), user: user.clone(), role };
            state.auth_cache.put(&secret_hash, touched);
        }
        let client = ClientInfo::from_parts(parts, &state.settings);
        let principal = Self { user, token, workspace, client };
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

fn session_required(message: &str) -> ApiError {
    ApiError::new(ErrorCode::SessionRequired, message)
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, message).with_header(WWW_AUTHENTICATE, "Bearer")
}

/// Where a request's secret came from: cookies ride along on cross-site requests, bearer
/// headers never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Bearer,
    Cookie,
}

/// `Authorization: Bearer …`, else the session cookie the web UI holds.
fn bearer_secret(parts: &Parts, cookie_name: &str) -> Option<(String, Carrier)> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, secret) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (secret.trim().to_owned(), Carrier::Bearer));
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| (value.to_owned(), Carrier::Cookie))
}

/// A change authenticated by the cookie must come from our own pages: the browser's
/// `Sec-Fetch-Site: same-origin`, or an `Origin` equal to the public URL's (else the request's
/// own host). Reads and bearer-token requests are not affected.
fn check_same_origin(parts: &Parts, settings: &Settings) -> ApiResult<()> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let header = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if header("sec-fetch-site") == Some("same-origin") {
        return Ok(());
    }
    let same = header(ORIGIN.as_str()).is_some_and(|origin| match settings.public_url.as_deref() {
        Some(public) => origin_of(public) == origin,
        None => header(HOST.as_str()).is_some_and(|host| {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
        }),
    });
    if same {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::CrossSiteRequest,
            "a change made with the session cookie must come from this site's own pages \
             (same-origin Origin); scripts send Authorization: Bearer instead",
        ))
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..].find('/').map_or(url, |slash| &url[..after_scheme + slash])
}

/// `X-Workspace-Id` when sent: a malformed one is refused whoever sends it, so the header
/// means the same on every request (an API token then ignores it).
fn workspace_header(parts: &Parts) -> ApiResult<Option<WorkspaceId>> {
    let Some(value) = parts.headers.get(WORKSPACE_HEADER) else { return Ok(None) };
    value.to_str().ok().and_then(|raw| raw.parse::<WorkspaceId>().ok()).map(Some).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidHeader, "X-Workspace-Id must be a workspace UUID")
            .with_details(serde_json::json!({ "header": WORKSPACE_HEADER }))
    })
}

/// An API token acts in its own workspace; a session in the one `X-Workspace-Id` names,
/// else in the user's first.
async fn acting_workspace(
    parts: &Parts,
    state: &AppState,
    token: &Token,
    user: &User,
    token_role: Option<Role>,
) -> ApiResult<Option<(WorkspaceId, Role)>> {
    let header = workspace_header(parts)?;
    if token.kind == TokenKind::Api {
        let Some(workspace) = token.workspace_id else {
            return Err(unauthenticated("the token has no workspace"));
        };
        // A superuser's token carries only their membership: superuser powers stay with
        // their login sessions.
        let Some(role) = token_role else {
            return Err(unauthenticated(
                "the token's owner is no longer a member of its workspace",
            ));
        };
        return Ok(Some((workspace, role)));
    }
    // A session's workspace is read at most once per cache lifetime, like its token.
    if let Some(acting) = state.auth_cache.acting(user.id, header) {
        return Ok(acting);
    }
    let acting = match header {
        Some(workspace) => Some((workspace, session_role(state, user, workspace).await?)),
        None => {
            let first = state.store.memberships(user.id).await?.into_iter().next();
            first.map(|membership| (membership.workspace.id, membership.role))
        }
    };
    state.auth_cache.put_acting(user.id, header, acting);
    Ok(acting)
}

/// A session's role in `workspace`: its membership, or owner powers for a superuser in any
/// workspace that exists; 404 otherwise.
async fn session_role(state: &AppState, user: &User, workspace: WorkspaceId) -> ApiResult<Role> {
    let not_found = || ApiError::new(ErrorCode::WorkspaceNotFound, "no such workspace");
    match state.store.role_in(workspace, user.id).await? {
        Some(role) => Ok(role),
        None if user.is_superuser => {
            state.store.workspace(workspace).await?.map(|_| Role::Owner).ok_or_else(not_found)
        }
        None => Err(not_found()),
    }
}
