//! `/workspaces/{id}/members`: who belongs to a workspace and with which role.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::{Email, Role, UserId, WorkspaceId};
use callbase_store::Member;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::invitations::{InvitationOut, invite};
use super::pagination::{ListParams, PageOut};
use super::users::UserOut;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, add_member))
        .routes(routes!(update_member, remove_member))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub user: UserOut,
    pub role: Role,
    pub joined_at: jiff::Timestamp,
}

impl From<Member> for MemberOut {
    fn from(member: Member) -> Self {
        Self { user: member.user.into(), role: member.role, joined_at: member.joined_at }
    }
}

/// Name the user by id or by e-mail address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    pub user_id: Option<UserId>,
    pub email: Option<Email>,
    pub role: Role,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatchIn {
    pub role: Role,
}

/// Owners and admins manage members; only owners make or unmake owners.
pub(crate) async fn require_admin_of(
    state: &AppState,
    principal: &Principal,
    workspace: WorkspaceId,
) -> ApiResult<Role> {
    let role = principal.role_in(state, workspace).await?;
    if role.can_administer() {
        Ok(role)
    } else {
        Err(ApiError::forbidden(format!("the {role} role cannot manage members")))
    }
}

fn member_not_found() -> ApiError {
    ApiError::new(ErrorCode::MemberNotFound, "no such member in this workspace")
}

#[utoipa::path(get, path = "/workspaces/{id}/members", tag = "workspaces", params(
        ("id" = WorkspaceId, Path, description = "workspace id"), ListParams),
    responses((status = 200, body = PageOut<MemberOut>), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_members(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<WorkspaceId>,
    Query(list): Query<ListParams>,
) -> ApiResult<Json<PageOut<MemberOut>>> {
    principal.role_in(&state, id).await?;
    let page = list.page_request()?;
    let members = state.store.list_members(id, &page).await?;
    Ok(Json(PageOut::from_page(members, &page, MemberOut::from)))
}

/// What adding someone led to: a member at once, or an invitation they must accept.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AddedOut {
    Member(MemberOut),
    Invited { invitation: InvitationOut },
}

/// Adds someone to the workspace. A person who already shares a workspace with the caller
/// (or anyone, for a superuser) becomes a member at once: 201 with the member. Anyone else is
/// invited by e-mail address and joins only by accepting: 202 with the invitation, the same
/// answer whether or not the address has an account, so adding reveals nobody's account.
/// By `user_id`, only people who share a workspace with the caller can be named.
#[utoipa::path(post, path = "/workspaces/{id}/members", tag = "workspaces", request_body = MemberIn,
    params(("id" = WorkspaceId, Path, description = "workspace id")),
    responses((status = 201, body = MemberOut), (status = 202, body = AddedOut),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<WorkspaceId>,
    Json(input): Json<MemberIn>,
) -> ApiResult<(StatusCode, Json<AddedOut>)> {
    let my_role = require_admin_of(&state, &principal, id).await?;
    if input.role == Role::Owner && my_role != Role::Owner {
        return Err(ApiError::forbidden("only an owner can make someone an owner"));
    }
    let user = match (input.user_id, &input.email) {
        (Some(user_id), None) => state.store.user(user_id).await?,
        (None, Some(email)) => state.store.user_credentials(email).await?.map(|(user, _)| user),
        _ => {
            return Err(ApiError::invalid_field(
                "user_id",
                "give exactly one of user_id and email",
            ));
        }
    };
    let known = match &user {
        Some(user) => {
            principal.is_superuser() || shares_workspace(&state, &principal, user.id).await?
        }
        None => false,
    };
    match (user, input.email) {
        (Some(user), _) if known => {
            let mut audit = principal.audit_in(Some(id), "member.add", "user", user.id);
            audit.details = serde_json::json!({ "role": input.role });
            let member = state.store.add_member(id, user.id, input.role, &audit).await?;
            Ok((StatusCode::CREATED, Json(AddedOut::Member(member.into()))))
        }
        (_, Some(email)) => {
            let invitation = invite(&state, &principal, id, email, input.role).await?;
            Ok((StatusCode::ACCEPTED, Json(AddedOut::Invited { invitation })))
        }
        (_, None) => Err(ApiError::new(
            ErrorCode::UserNotFound,
            "no such user among the people you share a workspace with: invite them by e-mail",
        )),
    }
}

/// Whether `user` is a member of any workspace the caller is a member of.
async fn shares_workspace(
    state: &AppState,
    principal: &Principal,
    user: UserId,
) -> ApiResult<bool> {
    let mine = state.store.memberships(principal.user.id).await?;
    let theirs = state.store.memberships(user).await?;
    Ok(theirs.iter().any(|their| mine.iter().any(|my| my.workspace.id == their.workspace.id)))
}

/// Changes a member's role.
#[utoipa::path(patch, path = "/workspaces/{id}/members/{user_id}", tag = "workspaces",
    request_body = MemberPatchIn,
    params(("id" = WorkspaceId, Path, description = "workspace id"),
        ("user_id" = UserId, Path, description = "member's user id")),
    responses((status = 200, body = MemberOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_member(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, user_id)): Path<(WorkspaceId, UserId)>,
    Json(input): Json<MemberPatchIn>,
) -> ApiResult<Json<MemberOut>> {
    let my_role = require_admin_of(&state, &principal, id).await?;
    let current = state.store.role_in(id, user_id).await?.ok_or_else(member_not_found)?;
    if (input.role == Role::Owner || current == Role::Owner) && my_role != Role::Owner {
        return Err(ApiError::forbidden("only an owner can make or unmake owners"));
    }
    let mut audit = principal.audit_in(Some(id), "member.update", "user", user_id);
    audit.details = serde_json::json!({ "from": current, "to": input.role });
    let member = state
        .store
        .set_member_role(id, user_id, input.role, &audit)
        .await?
        .ok_or_else(member_not_found)?;
    Ok(Json(member.into()))
}

/// Removes a member (admins), or leaves the workspace (any member, for themselves).
/// Their API tokens for this workspace are revoked with it.
#[utoipa::path(delete, path = "/workspaces/{id}/members/{user_id}", tag = "workspaces",
    params(("id" = WorkspaceId, Path, description = "workspace id"),
        ("user_id" = UserId, Path, description = "member's user id")),
    responses((status = 204, description = "removed"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, user_id)): Path<(WorkspaceId, UserId)>,
) -> ApiResult<StatusCode> {
    let my_role = if user_id == principal.user.id {
        principal.role_in(&state, id).await?
    } else {
        require_admin_of(&state, &principal, id).await?
    };
    let current = state.store.role_in(id, user_id).await?.ok_or_else(member_not_found)?;
    if current == Role::Owner && my_role != Role::Owner {
        return Err(ApiError::forbidden("only an owner can remove an owner"));
    }
    let audit = principal.audit_in(Some(id), "member.remove", "user", user_id);
    if state.store.remove_member(id, user_id, &audit).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(member_not_found())
    }
}
