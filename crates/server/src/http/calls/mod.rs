//! `/calls`: logging, the lifecycle actions and timeline, history, export and statistics.

mod actions;
mod create;
pub mod export;
pub mod history;
mod input;
pub mod model;
mod stats;
pub(crate) mod visibility;

use callbase_domain::{CallId, RegionCode, Role, UserId, WorkspaceId};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(history::list_calls, create::create_call))
        .routes(routes!(create::create_outbound_call))
        .routes(routes!(history::export_calls))
        .routes(routes!(stats::call_stats))
        .routes(routes!(stats::daily_stats))
        .routes(routes!(stats::duration_distribution))
        .routes(routes!(actions::get_call, actions::update_call, actions::delete_call))
        .routes(routes!(actions::set_call_status))
        .routes(routes!(actions::end_call))
        .routes(routes!(actions::toggle_hold))
        .routes(routes!(actions::transfer_call))
        .routes(routes!(actions::add_call_event))
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(ErrorCode::CallNotFound, "no such call")
}

/// How the timeline names whoever made a change through the API.
pub(crate) fn actor(principal: &Principal) -> String {
    format!("user:{}", principal.user.id)
}

/// The workspace the caller may change call `id` in: every writer may, except that an agent
/// changes only the calls assigned to them (AUTH-2). 404 when the call is not there.
pub(crate) async fn require_call_editor(
    state: &AppState,
    principal: &Principal,
    id: CallId,
) -> ApiResult<WorkspaceId> {
    let workspace = principal.require_write()?;
    if principal.role()? == Role::Agent {
        let call = state.store.call(workspace, id).await?.ok_or_else(not_found)?;
        if call.user_id != Some(principal.user.id) {
            return Err(ApiError::forbidden("an agent changes only the calls assigned to them"));
        }
    }
    Ok(workspace)
}

/// An agent assigns calls only to themselves, never to someone else (AUTH-2).
pub(crate) fn check_assignment(principal: &Principal, user: Option<UserId>) -> ApiResult<()> {
    if principal.role()? == Role::Agent && user != Some(principal.user.id) {
        return Err(ApiError::forbidden("an agent cannot assign a call to someone else")
            .with_details(json!({ "field": "user_id" })));
    }
    Ok(())
}

/// A call's user must belong to the call's workspace: 404 `user_not_found` naming `field`
/// otherwise, as for any id that names nothing the caller can see.
pub(crate) async fn check_user(
    state: &AppState,
    workspace: WorkspaceId,
    user: UserId,
    field: &str,
) -> ApiResult<()> {
    match state.store.role_in(workspace, user).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::new(
            ErrorCode::UserNotFound,
            format!("{field}: not a member of this workspace"),
        )
        .with_details(json!({ "field": field }))),
    }
}

/// The country national numbers are read in.
pub(crate) async fn workspace_region(
    state: &AppState,
    workspace: WorkspaceId,
) -> ApiResult<Option<RegionCode>> {
    let workspace = state.store.workspace(workspace).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::WorkspaceNotFound, "the workspace no longer exists")
    })?;
    Ok(workspace.region)
}
