//! Which calls a caller sees (AUTH-6): every call of the workspace, except that an agent in a
//! workspace whose `agent_call_visibility` is `own` sees only the calls assigned to them — in
//! lists, search, export, statistics and recordings alike.

use callbase_domain::call::Call;
use callbase_domain::{AgentCallVisibility, Role, UserId};
use callbase_store::{CallFilter, RecordingFilter};

use super::not_found;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// The one user whose calls the caller may see, or `None` for every call. Only an agent's
/// request costs a read (of the workspace's setting).
pub(crate) async fn only_calls_of(
    state: &AppState,
    principal: &Principal,
) -> ApiResult<Option<UserId>> {
    if principal.role()? != Role::Agent {
        return Ok(None);
    }
    let workspace = state
        .store
        .workspace(principal.workspace_id()?)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::WorkspaceNotFound, "no such workspace"))?;
    Ok((workspace.agent_call_visibility == AgentCallVisibility::Own).then_some(principal.user.id))
}

fn only_own() -> ApiError {
    ApiError::forbidden("agents in this workspace see only the calls assigned to them")
        .with_details(serde_json::json!({ "field": "user_id" }))
}

/// Narrows a call filter to `only`'s calls; naming someone else's is refused.
pub(crate) fn narrow_calls(filter: &mut CallFilter, only: Option<UserId>) -> ApiResult<()> {
    let Some(me) = only else { return Ok(()) };
    if filter.user_id.is_some_and(|user| user != me) {
        return Err(only_own());
    }
    filter.user_id = Some(me);
    Ok(())
}

/// Narrows a recording filter the same way (the recordings of calls assigned to `only`, or
/// that `only` uploaded).
pub(crate) fn narrow_recordings(
    filter: &mut RecordingFilter,
    only: Option<UserId>,
) -> ApiResult<()> {
    let Some(me) = only else { return Ok(()) };
    if filter.user_id.is_some_and(|user| user != me) {
        return Err(only_own());
    }
    filter.user_id = Some(me);
    Ok(())
}

/// 404, as for a call that is not there, when the caller may not see `call`.
pub(crate) fn check_visible(call: &Call, only: Option<UserId>) -> ApiResult<()> {
    match only {
        Some(me) if call.user_id != Some(me) => Err(not_found()),
        _ => Ok(()),
    }
}
