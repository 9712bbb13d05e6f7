//! `/auth`: logging in with e-mail and password, and logging out.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use callbase_domain::{Email, Timestamp, TokenId, UserStatus, now};
use callbase_store::{NewToken, TokenKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::users::UserOut;
use super::workspaces::MembershipOut;
use crate::auth::{
    ClientInfo, Principal, generate_secret, hash_password, session_cookie_name, verify_password,
};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub email: Email,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    /// Send as `Authorization: Bearer <token>`; also set as an HttpOnly cookie.
    pub token: String,
    pub expires_at: Timestamp,
    pub user: UserOut,
    /// The user's workspaces; requests act in the first unless `X-Workspace-Id` names another.
    pub workspaces: Vec<MembershipOut>,
}

/// Exchanges e-mail and password for a session token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginIn,
    responses((status = 200, body = LoginOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(input): Json<LoginIn>,
) -> ApiResult<impl IntoResponse> {
    // Before checking the password: a limited client learns nothing, right or wrong.
    state.limiters.check_login(client.addr)?;
    let account = input.email.to_string();
    state.failed_logins.check(&account)?;
    let credentials = state.store.user_credentials(&input.email).await?;
    let user = match credentials {
        Some((user, hash)) => verify_password(input.password, hash).await.then_some(user),
        None => {
            // Spend the same Argon2 time as a real check, so timing does not reveal accounts.
            hash_password(input.password).await?;
            None
        }
    };
    let Some(user) = user else {
        state.failed_logins.failed(&account);
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "wrong e-mail address or password",
        ));
    };
    state.failed_logins.succeeded(&account);
    if user.status == UserStatus::Suspended {
        return Err(ApiError::new(ErrorCode::AccountSuspended, "this account is suspended"));
    }
    let at = now();
    let expires_at = at
        .checked_add(
            jiff::SignedDuration::try_from(state.settings.session_ttl)
                .map_err(ApiError::internal)?,
        )
        .map_err(ApiError::internal)?;
    let generated = generate_secret("cbs");
    let id = TokenId::new();
    let audit = callbase_store::AuditEntry {
        actor_user: Some(user.id),
        actor_token: Some(id),
        target_type: "user".to_owned(),
        client_addr: client.addr.map(|addr| addr.to_string()),
        request_id: client.request_id.clone(),
        ..callbase_store::AuditEntry::new(None, "auth.login", user.id)
    };
    let session = NewToken {
        id,
        kind: TokenKind::Session,
        secret_hash: generated.hash,
        user_id: user.id,
        workspace_id: None,
        name: "login".to_owned(),
        prefix: generated.prefix,
        at,
        expires_at: Some(expires_at),
    };
    state.store.create_token(session, Some(&audit)).await?;
    let workspaces = state.store.memberships(user.id).await?;
    let cookie = session_cookie(&state, &generated.secret, state.settings.session_ttl.as_secs());
    let body = LoginOut {
        token: generated.secret,
        expires_at,
        user: user.into(),
        workspaces: workspaces.into_iter().map(MembershipOut::from).collect(),
    };
    Ok((AppendHeaders([(SET_COOKIE, cookie)]), Json(body)))
}

/// Ends the session the request was made with (API tokens are revoked under `/tokens`).
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "logged out"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "session_required: an API token")),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<impl IntoResponse> {
    if principal.token.kind != TokenKind::Session {
        return Err(ApiError::new(
            ErrorCode::SessionRequired,
            "this is an API token, not a login session: revoke it with DELETE /api/v1/tokens/{id}",
        ));
    }
    let audit = principal.audit_in(None, "auth.logout", "user", principal.user.id);
    state.store.revoke_token(principal.token.id, now(), Some(&audit)).await?;
    let cookie = session_cookie(&state, "", 0);
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(SET_COOKIE, cookie)])))
}

/// HttpOnly and SameSite so page scripts and other sites cannot use it; behind HTTPS also
/// Secure, under the `__Host-` name.
fn session_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let public_url = state.settings.public_url.as_deref();
    let secure = public_url.is_some_and(|url| url.starts_with("https://"));
    let name = session_cookie_name(public_url);
    let cookie = format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}
