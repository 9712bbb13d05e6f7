//! `GET /calls/stats` and its daily and duration views (CALL-7): the statistics of the
//! application layer, narrowed to an agent's own calls where the workspace says so (AUTH-6).

use axum::extract::State;
use callbase_app::calls::stats::{
    self, DailyOut, DistributionOut, GroupBy, Period, Scope, StatsOut, StatsQuery,
};
use callbase_domain::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::visibility::only_calls_of;
use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// `today`, `week` (from Monday), `month` (default) in the workspace's time zone, or
    /// `custom` with `from` and `to`.
    #[param(inline)]
    pub period: Option<Period>,
    /// Start of a custom period (inclusive).
    pub from: Option<Timestamp>,
    /// End of a custom period (exclusive).
    pub to: Option<Timestamp>,
    /// Also break the totals down by this.
    #[param(inline)]
    pub group_by: Option<GroupBy>,
}

impl StatsParams {
    fn query(&self) -> StatsQuery {
        StatsQuery { period: self.period, from: self.from, to: self.to, group_by: self.group_by }
    }
}

async fn scope(state: &AppState, principal: &Principal) -> ApiResult<Scope> {
    Ok(Scope { workspace: principal.workspace_id()?, only: only_calls_of(state, principal).await? })
}

/// Call statistics for a period in the workspace's time zone.
#[utoipa::path(get, path = "/calls/stats", tag = "calls", params(StatsParams),
    responses((status = 200, body = StatsOut), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn call_stats(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<StatsParams>,
) -> ApiResult<Json<StatsOut>> {
    let scope = scope(&state, &principal).await?;
    Ok(Json(stats::call_stats(state.store.as_ref(), scope, &params.query()).await?))
}

/// Calls per local day of the period, with zeros for days without calls.
#[utoipa::path(get, path = "/calls/stats/daily", tag = "calls", params(StatsParams),
    responses((status = 200, body = DailyOut), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn daily_stats(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<StatsParams>,
) -> ApiResult<Json<DailyOut>> {
    let scope = scope(&state, &principal).await?;
    Ok(Json(stats::daily_stats(state.store.as_ref(), scope, &params.query()).await?))
}

/// The talk-time histogram of answered, finished calls in the period.
#[utoipa::path(get, path = "/calls/stats/duration-distribution", tag = "calls", params(StatsParams),
    responses((status = 200, body = DistributionOut), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn duration_distribution(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<StatsParams>,
) -> ApiResult<Json<DistributionOut>> {
    let scope = scope(&state, &principal).await?;
    Ok(Json(stats::duration_distribution(state.store.as_ref(), scope, &params.query()).await?))
}
