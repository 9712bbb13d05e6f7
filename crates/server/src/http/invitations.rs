//! Invitations: how someone who shares no workspace with an admin joins one — by accepting,
//! never by being added. `/workspaces/{id}/invitations` for the workspace's admins,
//! `/invitations` for the invitee.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::{Email, InvitationId, Role, Timestamp, UserId, WorkspaceId, now};
use callbase_store::Invitation;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::members::{MemberOut, require_admin_of};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// How long an invitation stays open.
const LIFETIME_DAYS: i64 = 7;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workspace_invitations))
        .routes(routes!(withdraw_invitation))
        .routes(routes!(list_my_invitations))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: InvitationId,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub email: Email,
    pub role: Role,
    pub invited_by: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl From<Invitation> for InvitationOut {
    fn from(invitation: Invitation) -> Self {
        Self {
            id: invitation.id,
            workspace_id: invitation.workspace_id,
            workspace_name: invitation.workspace_name,
            email: invitation.email,
            role: invitation.role,
            invited_by: invitation.invited_by,
            created_at: invitation.created_at,
            expires_at: invitation.expires_at,
            accepted_at: invitation.accepted_at,
            revoked_at: invitation.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationList {
    pub data: Vec<InvitationOut>,
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::InvitationNotFound, "no such open invitation")
}

/// Invites `email` into `workspace` with `role`, open for seven days. The answer is the same
/// whether or not the address has an account.
pub(crate) async fn invite(
    state: &AppState,
    principal: &Principal,
    workspace: WorkspaceId,
    email: Email,
    role: Role,
) -> ApiResult<InvitationOut> {
    let name = state
        .store
        .workspace(workspace)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::WorkspaceNotFound, "no such workspace"))?
        .name;
    let at = now();
    let expires_at = at
        .checked_add(jiff::SignedDuration::from_hours(24 * LIFETIME_DAYS))
        .map_err(ApiError::internal)?;
    let invitation = Invitation {
        id: InvitationId::new(),
        workspace_id: workspace,
        workspace_name: name.to_string(),
        email,
        role,
        invited_by: Some(principal.user.id),
        created_at: at,
        expires_at,
        accepted_at: None,
        revoked_at: None,
    };
    let mut audit =
        principal.audit_in(Some(workspace), "member.invite", "invitation", invitation.id);
    audit.details = serde_json::json!({ "email": invitation.email, "role": role });
    state.store.create_invitation(&invitation, &audit).await?;
    Ok(invitation.into())
}

/// The workspace's invitations, newest first (owners and admins).
#[utoipa::path(get, path = "/workspaces/{id}/invitations", tag = "workspaces",
    params(("id" = WorkspaceId, Path, description = "workspace id")),
    responses((status = 200, body = InvitationList), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_workspace_invitations(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<Json<InvitationList>> {
    require_admin_of(&state, &principal, id).await?;
    let invitations = state.store.list_workspace_invitations(id).await?;
    Ok(Json(InvitationList { data: invitations.into_iter().map(Into::into).collect() }))
}

/// Withdraws an open invitation (owners and admins).
#[utoipa::path(delete, path = "/workspaces/{id}/invitations/{invitation_id}", tag = "workspaces",
    params(("id" = WorkspaceId, Path, description = "workspace id"),
        ("invitation_id" = InvitationId, Path, description = "invitation id")),
    responses((status = 204, description = "withdrawn"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn withdraw_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, invitation_id)): Path<(WorkspaceId, InvitationId)>,
) -> ApiResult<StatusCode> {
    require_admin_of(&state, &principal, id).await?;
    let invitation = state.store.invitation(invitation_id).await?.ok_or_else(not_found)?;
    if invitation.workspace_id != id {
        return Err(not_found());
    }
    let audit = principal.audit_in(Some(id), "member.invite_withdraw", "invitation", invitation_id);
    if state.store.revoke_invitation(invitation_id, &audit).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

/// The open invitations to the caller's e-mail address.
#[utoipa::path(get, path = "/invitations", tag = "workspaces",
    responses((status = 200, body = InvitationList), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_my_invitations(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<InvitationList>> {
    let invitations = state.store.open_invitations_for(&principal.user.email, now()).await?;
    Ok(Json(InvitationList { data: invitations.into_iter().map(Into::into).collect() }))
}

/// An open invitation to the caller, from a login session.
async fn my_open_invitation(
    state: &AppState,
    principal: &Principal,
    id: InvitationId,
) -> ApiResult<Invitation> {
    let invitation = state.store.invitation(id).await?.ok_or_else(not_found)?;
    let open = invitation.accepted_at.is_none()
        && invitation.revoked_at.is_none()
        && invitation.expires_at > now();
    if invitation.email != principal.user.email || !open {
        return Err(not_found());
    }
    principal.require_session("answering an invitation")?;
    Ok(invitation)
}

/// Joins the workspace with the invitation's role.
#[utoipa::path(post, path = "/invitations/{id}/accept", tag = "workspaces",
    params(("id" = InvitationId, Path, description = "invitation id")),
    responses((status = 201, body = MemberOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<InvitationId>,
) -> ApiResult<(StatusCode, Json<MemberOut>)> {
    let invitation = my_open_invitation(&state, &principal, id).await?;
    let mut audit =
        principal.audit_in(Some(invitation.workspace_id), "member.join", "user", principal.user.id);
    audit.details = serde_json::json!({ "invitation_id": id, "role": invitation.role });
    let member = state
        .store
        .accept_invitation(id, principal.user.id, &audit)
        .await?
        .ok_or_else(not_found)?;
    Ok((StatusCode::CREATED, Json(member.into())))
}

/// Declines the invitation.
#[utoipa::path(post, path = "/invitations/{id}/decline", tag = "workspaces",
    params(("id" = InvitationId, Path, description = "invitation id")),
    responses((status = 204, description = "declined"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decline_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<InvitationId>,
) -> ApiResult<StatusCode> {
    let invitation = my_open_invitation(&state, &principal, id).await?;
    let audit = principal.audit_in(
        Some(invitation.workspace_id),
        "member.invite_decline",
        "invitation",
        id,
    );
    if state.store.revoke_invitation(id, &audit).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
