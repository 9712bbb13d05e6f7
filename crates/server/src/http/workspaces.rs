//! `/workspaces`: the tenants, their settings and their statistics.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::{
    AgentCallVisibility, DisplayName, RegionCode, Role, TimeZoneName, WorkspaceId, now,
};
use callbase_store::{
    Membership, NewWorkspace, RecordingFilter, TokenKind, Workspace, WorkspaceFilter,
    WorkspacePatch,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{ListParams, PageOut};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::http::recordings::manage;
use crate::settings::WorkspaceCreation;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workspaces, create_workspace))
        .routes(routes!(get_workspace, update_workspace, delete_workspace))
        .routes(routes!(workspace_stats))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceOut {
    pub id: WorkspaceId,
    pub name: DisplayName,
    /// IANA time zone for days, hours and statistics.
    pub time_zone: TimeZoneName,
    /// Default country for phone numbers written without `+`.
    pub region: Option<RegionCode>,
    /// Recordings older than this many days are deleted; `null` keeps them forever.
    pub recording_retention_days: Option<u32>,
    /// Whether agents see every call (`all`) or only those assigned to them (`own`), in
    /// lists, search, export, statistics and recordings alike.
    pub agent_call_visibility: AgentCallVisibility,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
}

impl From<Workspace> for WorkspaceOut {
    fn from(workspace: Workspace) -> Self {
        Self {
            id: workspace.id,
            name: workspace.name,
            time_zone: workspace.time_zone,
            region: workspace.region,
            recording_retention_days: workspace.recording_retention_days,
            agent_call_visibility: workspace.agent_call_visibility,
            created_at: workspace.created_at,
            updated_at: workspace.updated_at,
        }
    }
}

/// A workspace together with the caller's role in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipOut {
    #[serde(flatten)]
    pub workspace: WorkspaceOut,
    pub role: Role,
}

impl From<Membership> for MembershipOut {
    fn from(membership: Membership) -> Self {
        Self { workspace: membership.workspace.into(), role: membership.role }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceIn {
    pub name: DisplayName,
    /// Defaults to `UTC`.
    pub time_zone: Option<TimeZoneName>,
    pub region: Option<RegionCode>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspacePatchIn {
    pub name: Option<DisplayName>,
    pub time_zone: Option<TimeZoneName>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<RegionCode>)]
    pub region: Option<Option<RegionCode>>,
    /// 1 – 36,500 days; `null` keeps recordings forever.
    #[serde(default, deserialize_with = "crate::extract::present_integer")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 36500)]
    pub recording_retention_days: Option<Option<u32>>,
    /// `all` (the default) or `own`: which calls agents see.
    pub agent_call_visibility: Option<AgentCallVisibility>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceStatsOut {
    pub workspace_id: WorkspaceId,
    pub members: u64,
    pub api_tokens: u64,
    pub audit_events: u64,
    pub calls: u64,
    /// Talk time of all calls, in whole minutes.
    pub talk_minutes: u64,
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::WorkspaceNotFound, "no such workspace")
}

/// The caller's workspaces (superusers: every workspace), with the caller's role.
#[utoipa::path(get, path = "/workspaces", tag = "workspaces", params(ListParams),
    responses((status = 200, body = PageOut<WorkspaceOut>), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_workspaces(
    State(state): State<AppState>,
    principal: Principal,
    Query(list): Query<ListParams>,
) -> ApiResult<Json<PageOut<WorkspaceOut>>> {
    let page = list.page_request()?;
    if principal.token.kind == TokenKind::Api {
        // An API token sees only the workspace it belongs to.
        let workspace = state.store.workspace(principal.workspace_id()?).await?;
        let data = workspace.into_iter().map(WorkspaceOut::from).collect();
        return Ok(Json(PageOut { data, next_cursor: None }));
    }
    let member = (!principal.is_superuser()).then_some(principal.user.id);
    let workspaces = state.store.list_workspaces(&WorkspaceFilter { member }, &page).await?;
    Ok(Json(PageOut::from_page(workspaces, &page, WorkspaceOut::from)))
}

/// Creates a workspace with the caller as its owner. Who may is the instance's
/// `--workspace-creation` setting (anyone, or superusers); always from a login session.
#[utoipa::path(post, path = "/workspaces", tag = "workspaces", request_body = WorkspaceIn,
    responses((status = 201, body = WorkspaceOut), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_workspace(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<WorkspaceIn>,
) -> ApiResult<(StatusCode, Json<WorkspaceOut>)> {
    principal.require_session("creating a workspace")?;
    if state.settings.workspace_creation == WorkspaceCreation::Superusers {
        principal.require_superuser()?;
    }
    let id = WorkspaceId::new();
    let mut audit = principal.audit_in(Some(id), "workspace.create", "workspace", id);
    audit.details = serde_json::json!({ "name": input.name });
    let workspace = NewWorkspace {
        id,
        name: input.name,
        time_zone: input.time_zone.unwrap_or_else(TimeZoneName::utc),
        region: input.region,
        at: now(),
    };
    let created = state.store.create_workspace(workspace, Some(principal.user.id), &audit).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(get, path = "/workspaces/{id}", tag = "workspaces",
    params(("id" = WorkspaceId, Path, description = "workspace id")),
    responses((status = 200, body = MembershipOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_workspace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<Json<MembershipOut>> {
    let role = principal.role_in(&state, id).await?;
    let workspace = state.store.workspace(id).await?.ok_or_else(not_found)?;
    Ok(Json(MembershipOut { workspace: workspace.into(), role }))
}

/// Renames a workspace or changes its time zone or region (owners and admins).
#[utoipa::path(patch, path = "/workspaces/{id}", tag = "workspaces", request_body = WorkspacePatchIn,
    params(("id" = WorkspaceId, Path, description = "workspace id")),
    responses((status = 200, body = WorkspaceOut), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_workspace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<WorkspaceId>,
    Json(input): Json<WorkspacePatchIn>,
) -> ApiResult<Json<WorkspaceOut>> {
    let role = principal.role_in(&state, id).await?;
    if !role.can_administer() {
        return Err(ApiError::forbidden(format!(
            "the {role} role cannot change workspace settings"
        )));
    }
    let mut audit = principal.audit_in(Some(id), "workspace.update", "workspace", id);
    audit.details = serde_json::json!({
        "name": input.name,
        "time_zone": input.time_zone,
        "region": input.region,
        "recording_retention_days": input.recording_retention_days,
        "agent_call_visibility": input.agent_call_visibility,
    });
    if let Some(Some(days)) = input.recording_retention_days
        && !(1..=36_500).contains(&days)
    {
        return Err(ApiError::invalid_field(
            "recording_retention_days",
            "must be between 1 and 36500 days, or null to keep recordings forever",
        ));
    }
    let patch = WorkspacePatch {
        name: input.name,
        time_zone: input.time_zone,
        region: input.region,
        recording_retention_days: input.recording_retention_days,
        agent_call_visibility: input.agent_call_visibility,
        at: Some(now()),
    };
    let workspace =
        state.store.update_workspace(id, &patch, &audit).await?.ok_or_else(not_found)?;
    Ok(Json(workspace.into()))
}

/// Deletes a workspace and everything in it (owners).
#[utoipa::path(delete, path = "/workspaces/{id}", tag = "workspaces",
    params(("id" = WorkspaceId, Path, description = "workspace id")),
    responses((status = 204, description = "deleted"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_workspace(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<StatusCode> {
    let role = principal.role_in(&state, id).await?;
    if role != Role::Owner {
        return Err(ApiError::forbidden("only an owner can delete a workspace"));
    }
    let audit = principal.audit_in(Some(id), "workspace.delete", "workspace", id);
    let keys = manage::stored_keys(&state, id, &RecordingFilter::default()).await?;
    if state.store.delete_workspace(id, &audit).await? {
        manage::remove_keys(&state, keys).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

/// Counts for the workspace overview: members, active API tokens, audit events, calls and
/// talk minutes (recordings, agents and leads join as those resources arrive).
#[utoipa::path(get, path = "/workspaces/{id}/stats", tag = "workspaces",
    params(("id" = WorkspaceId, Path, description = "workspace id")),
    responses((status = 200, body = WorkspaceStatsOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn workspace_stats(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<WorkspaceId>,
) -> ApiResult<Json<WorkspaceStatsOut>> {
    principal.role_in(&state, id).await?;
    let stats = state.store.workspace_stats(id).await?;
    Ok(Json(WorkspaceStatsOut {
        workspace_id: id,
        members: stats.members,
        api_tokens: stats.api_tokens,
        audit_events: stats.audit_events,
        calls: stats.calls,
        talk_minutes: stats.talk_seconds / 60,
    }))
}
