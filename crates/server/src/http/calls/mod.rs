//! `/calls`: logging, the lifecycle actions and timeline, history, export and statistics.

mod actions;
mod append;
mod create;
pub mod history;
mod input;
pub mod model;
mod stats;
pub(crate) mod visibility;

use callbase_domain::{CallId, RegionCode, UserId, WorkspaceId};
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
        .routes(routes!(append::add_call_event))
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(ErrorCode::CallNotFound, "no such call")
}

/// The workspace the caller may change call `id` in: every writer may, except that an agent
/// changes only the calls assigned to them (AUTH-2). 404 when the call is not there.
pub(crate) async fn require_call_editor(
    state: &AppState,
    principal: &Principal,
    id: CallId,
) -> ApiResult<WorkspaceId> {
    let actor = principal.writer()?;
    callbase_app::calls::commands::check_editor(state.store.as_ref(), &actor, id).await?;
    Ok(actor.workspace)
}

/// An agent assigns calls only to themselves, never to someone else (AUTH-2).
pub(crate) fn check_assignment(principal: &Principal, user: Option<UserId>) -> ApiResult<()> {
    Ok(principal.writer()?.check_assignment(user)?)
}

/// A call's user must belong to the call's workspace: 404 `user_not_found` naming `field`
/// otherwise, as for any id that names nothing the caller can see.
pub(crate) async fn check_user(
    state: &AppState,
    workspace: WorkspaceId,
    user: UserId,
    field: &'static str,
) -> ApiResult<()> {
    Ok(callbase_app::calls::check_member(state.store.as_ref(), workspace, user, field).await?)
}

/// The country national numbers are read in.
pub(crate) async fn workspace_region(
    state: &AppState,
    workspace: WorkspaceId,
) -> ApiResult<Option<RegionCode>> {
    Ok(callbase_app::calls::workspace_region(state.store.as_ref(), workspace).await?)
}
