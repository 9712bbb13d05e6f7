//! `/audit`: the record of every change in the workspace (owners and admins).

use axum::extract::State;
use callbase_domain::{AuditId, Timestamp, TokenId, UserId, WorkspaceId};
use callbase_store::{AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{ListParams, PageOut};
use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: AuditId,
    /// `null` for instance-wide events (accounts, deleted workspaces, logins).
    pub workspace_id: Option<WorkspaceId>,
    pub actor_user_id: Option<UserId>,
    pub actor_token_id: Option<TokenId>,
    /// `resource.verb`, e.g. `member.add`.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub at: Timestamp,
}

impl From<AuditRecord> for AuditOut {
    fn from(entry: AuditRecord) -> Self {
        Self {
            id: entry.id,
            workspace_id: entry.workspace_id,
            actor_user_id: entry.actor_user,
            actor_token_id: entry.actor_token,
            action: entry.action,
            target_type: entry.target_type,
            target_id: entry.target_id,
            details: entry.details,
            client_addr: entry.client_addr,
            request_id: entry.request_id,
            at: entry.at,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditListParams {
    /// Only this action, e.g. `member.add`.
    pub action: Option<String>,
    pub actor_user_id: Option<UserId>,
    pub target_id: Option<String>,
    /// Superusers: the instance-wide log instead of the acting workspace's.
    pub instance: Option<bool>,
}

/// The acting workspace's audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(ListParams, AuditListParams),
    responses((status = 200, body = PageOut<AuditOut>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    Query(list): Query<ListParams>,
    Query(params): Query<AuditListParams>,
) -> ApiResult<Json<PageOut<AuditOut>>> {
    let page = list.page_request()?;
    let workspace = if params.instance == Some(true) {
        principal.require_superuser()?;
        None
    } else {
        Some(principal.require_admin()?)
    };
    let filter = AuditFilter {
        workspace,
        instance_only: workspace.is_none(),
        action: params.action,
        actor_user: params.actor_user_id,
        target_id: params.target_id,
    };
    let entries = state.store.list_audit(&filter, &page).await?;
    Ok(Json(PageOut::from_page(entries, &page, AuditOut::from)))
}
