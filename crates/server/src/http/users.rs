//! `/users`: accounts, the caller's own profile and suspension.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::{DisplayName, Email, Role, UserId, UserStatus, now};
use callbase_store::{EndSessions, NewUser, TokenKind, User, UserFilter, UserPatch};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{ListParams, PageOut};
use super::workspaces::MembershipOut;
use crate::auth::{Principal, hash_password, verify_password};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_me, update_me))
        .routes(routes!(get_user, update_user))
        .routes(routes!(set_user_status))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub is_superuser: bool,
    pub status: UserStatus,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
}

impl From<User> for UserOut {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            name: user.name,
            is_superuser: user.is_superuser,
            status: user.status,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// Passwords: at least 8 characters, at most 1024 (hashing cost is bounded).
pub fn check_password(field: &str, password: &str) -> ApiResult<()> {
    let length = password.chars().count();
    if length < 8 {
        return Err(ApiError::invalid_field(field, "must be at least 8 characters"));
    }
    if length > 1024 {
        return Err(ApiError::invalid_field(field, "must be at most 1024 characters"));
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub email: Email,
    pub name: DisplayName,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// Also make the new user a member of the acting workspace with this role.
    /// Defaults to `agent` when an admin (not a superuser) creates the user.
    pub role: Option<Role>,
    /// Superusers only.
    #[serde(default)]
    pub is_superuser: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchIn {
    pub name: Option<DisplayName>,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
    /// Required to change your own password (403 when missing or wrong).
    pub current_password: Option<String>,
    /// Superusers only.
    pub is_superuser: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserStatusIn {
    pub status: UserStatus,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Only users with this status.
    #[param(inline)]
    pub status: Option<UserStatus>,
    /// Superusers only: every user of the instance, not just the acting workspace's members.
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub user: UserOut,
    /// The workspace this request acts in.
    pub workspace_id: Option<callbase_domain::WorkspaceId>,
    pub role: Option<Role>,
    pub workspaces: Vec<MembershipOut>,
}

/// Users of the acting workspace (superusers: `all=true` for every user).
#[utoipa::path(get, path = "/users", tag = "users", params(ListParams, UserListParams),
    responses((status = 200, body = PageOut<UserOut>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`all=true` without superuser powers")),
    security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
    Query(list): Query<ListParams>,
    Query(params): Query<UserListParams>,
) -> ApiResult<Json<PageOut<UserOut>>> {
    let page = list.page_request()?;
    let workspace = if params.all == Some(true) {
        principal.require_superuser()?;
        None
    } else {
        Some(principal.workspace_id()?)
    };
    let filter = UserFilter { workspace, status: params.status };
    let users = state.store.list_users(&filter, &page).await?;
    Ok(Json(PageOut::from_page(users, &page, UserOut::from)))
}

/// Creates an account. Admins add it to their workspace; superusers may create bare accounts.
#[utoipa::path(post, path = "/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserOut), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<UserIn>,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    check_password("password", &input.password)?;
    let role = if principal.is_superuser() {
        input.role
    } else {
        principal.require_admin()?;
        if input.is_superuser {
            principal.require_superuser()?;
        }
        Some(input.role.unwrap_or(Role::Agent))
    };
    if role == Some(Role::Owner) && principal.role()? != Role::Owner {
        return Err(ApiError::forbidden("only an owner can make someone an owner"));
    }
    let id = UserId::new();
    let workspace = match role {
        Some(_) => Some(principal.workspace_id()?),
        None => None,
    };
    let mut audit = principal.audit_in(workspace, "user.create", "user", id);
    audit.details = serde_json::json!({ "email": input.email, "role": role, "is_superuser": input.is_superuser });
    let new_user = NewUser {
        id,
        email: input.email,
        name: input.name,
        password_hash: hash_password(input.password).await?,
        is_superuser: input.is_superuser,
        membership: workspace.zip(role),
        at: now(),
    };
    let user = state.store.create_user(new_user, &audit).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// The caller, the workspace this request acts in, and all their workspaces.
#[utoipa::path(get, path = "/users/me", tag = "users",
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<MeOut>> {
    me(&state, principal).await.map(Json)
}

async fn me(state: &AppState, principal: Principal) -> ApiResult<MeOut> {
    let memberships = state.store.memberships(principal.user.id).await?;
    Ok(MeOut {
        workspace_id: principal.workspace.map(|(id, _)| id),
        role: principal.workspace.map(|(_, role)| role),
        workspaces: memberships.into_iter().map(MembershipOut::from).collect(),
        user: principal.user.into(),
    })
}

/// Changes the caller's own name or password.
#[utoipa::path(patch, path = "/users/me", tag = "users", request_body = UserPatchIn,
    responses((status = 200, body = MeOut), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<UserPatchIn>,
) -> ApiResult<Json<MeOut>> {
    let user = patch_user(&state, &principal, principal.user.id, input).await?;
    let principal = Principal { user, ..principal };
    me(&state, principal).await.map(Json)
}

/// A user the caller may see: itself, a member of its acting workspace, or anyone for superusers.
async fn visible_user(state: &AppState, principal: &Principal, id: UserId) -> ApiResult<User> {
    let not_found = || ApiError::new(ErrorCode::UserNotFound, "no such user");
    let user = state.store.user(id).await?.ok_or_else(not_found)?;
    if id == principal.user.id || principal.is_superuser() {
        return Ok(user);
    }
    let workspace = principal.workspace_id().map_err(|_| not_found())?;
    match state.store.role_in(workspace, id).await? {
        Some(_) => Ok(user),
        None => Err(not_found()),
    }
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
) -> ApiResult<Json<UserOut>> {
    visible_user(&state, &principal, id).await.map(|user| Json(user.into()))
}

/// Superusers (at a login session) change anyone; everyone else only themselves. A new
/// password ends the user's other login sessions.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserPatchIn,
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = UserOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
    Json(input): Json<UserPatchIn>,
) -> ApiResult<Json<UserOut>> {
    visible_user(&state, &principal, id).await?;
    patch_user(&state, &principal, id, input).await.map(|user| Json(user.into()))
}

async fn patch_user(
    state: &AppState,
    principal: &Principal,
    id: UserId,
    input: UserPatchIn,
) -> ApiResult<User> {
    let own = id == principal.user.id;
    if !own || input.is_superuser.is_some() {
        principal.require_superuser()?;
    }
    if input.is_superuser == Some(false) {
        let target = state.store.user(id).await?;
        if target.is_some_and(|user| user.is_superuser)
            && state.store.count_superusers().await? <= 1
        {
            return Err(ApiError::new(
                ErrorCode::LastSuperuser,
                "the instance must keep at least one superuser: make someone else superuser first",
            ));
        }
    }
    let password_hash = match input.password {
        None => None,
        Some(password) => {
            check_password("password", &password)?;
            if own {
                // A stolen session must not be enough to lock the owner out: without proof
                // of the current password the change is not allowed (403, like any other
                // missing authority; no schema can know the password).
                let refused = |reason: &str| {
                    ApiError::forbidden(format!("current_password: {reason}"))
                        .with_details(json!({ "field": "current_password", "reason": reason }))
                };
                let current = input
                    .current_password
                    .ok_or_else(|| refused("is required to change your password"))?;
                let credentials = state.store.user_credentials(&principal.user.email).await?;
                let hash = credentials.map(|(_, hash)| hash).unwrap_or_default();
                if !verify_password(current, hash).await {
                    return Err(refused("is not your current password"));
                }
            }
            Some(hash_password(password).await?)
        }
    };
    // A new password ends every other login session of the user: whoever held the old one
    // is out. The session making its own change stays.
    let end_sessions = password_hash.as_ref().map(|_| EndSessions {
        keep: (own && principal.token.kind == TokenKind::Session).then_some(principal.token.id),
    });
    let mut audit = principal.audit_in(None, "user.update", "user", id);
    audit.details = serde_json::json!({
        "name": input.name.is_some(),
        "password": password_hash.is_some(),
        "is_superuser": input.is_superuser,
    });
    let patch = UserPatch {
        name: input.name,
        password_hash,
        is_superuser: input.is_superuser,
        status: None,
        at: Some(now()),
        end_sessions,
    };
    state
        .store
        .update_user(id, &patch, &audit)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound, "no such user"))
}

/// Suspends or reactivates an account (superusers). A suspended user cannot authenticate.
#[utoipa::path(post, path = "/users/{id}/status", tag = "users", request_body = UserStatusIn,
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = UserOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_user_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
    Json(input): Json<UserStatusIn>,
) -> ApiResult<Json<UserOut>> {
    visible_user(&state, &principal, id).await?;
    principal.require_superuser()?;
    if id == principal.user.id && input.status == UserStatus::Suspended {
        return Err(ApiError::new(ErrorCode::Conflict, "you cannot suspend yourself"));
    }
    let action = match input.status {
        UserStatus::Active => "user.activate",
        UserStatus::Suspended => "user.suspend",
    };
    let audit = principal.audit_in(None, action, "user", id);
    let patch = UserPatch { status: Some(input.status), at: Some(now()), ..UserPatch::default() };
    let user = state
        .store
        .update_user(id, &patch, &audit)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UserNotFound, "no such user"))?;
    Ok(Json(user.into()))
}
