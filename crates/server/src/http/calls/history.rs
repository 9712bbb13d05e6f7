//! `GET /calls` (CALL-5) and `GET /calls/export` (CALL-6): the same filters, a keyset page
//! or the whole result streamed.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use callbase_domain::call::{CallStatus, Direction, Source};
use callbase_domain::{CallId, RegionCode, Timestamp, UserId};
use callbase_store::{CallCursor, CallFilter, CallPageRequest, CallSort, SortOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::CallOut;
use super::visibility::{narrow_calls, only_calls_of};
use super::workspace_region;
use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::http::pagination::{
    PageOut, decode_json_cursor, encode_json_cursor, invalid_cursor, page_limit,
};
use crate::state::AppState;
use callbase_app::calls::export::{ExportFormat, export_stream};
use callbase_app::calls::search::CallSearch;

/// Every filter narrows the result.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallFilterParams {
    #[param(inline)]
    pub status: Option<CallStatus>,
    #[param(inline)]
    pub direction: Option<Direction>,
    #[param(value_type = Option<String>, pattern = "^[a-z0-9_-]{1,32}$")]
    pub source: Option<Source>,
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Either party's number in any format (`+49 30 1234567`, `030 1234567` with the
    /// workspace region), or at least 4 trailing digits (`4567`); blank is no filter.
    #[param(
        pattern = r"^([\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*|[ ()./+-]*([0-9][ ()./+-]*){4,17})$"
    )]
    pub number: Option<String>,
    /// Started at or after this instant.
    pub from: Option<Timestamp>,
    /// Started before this instant.
    pub to: Option<Timestamp>,
    /// Talk time in seconds, at least.
    #[param(minimum = 0)]
    pub min_duration: Option<i64>,
    /// Talk time in seconds, at most.
    #[param(minimum = 0)]
    pub max_duration: Option<i64>,
    pub has_recording: Option<bool>,
    pub tag: Option<String>,
    /// Words that must all appear in the names or notes.
    pub q: Option<String>,
}

impl CallFilterParams {
    /// Checks the parameters and reads `number` in the workspace's region.
    pub fn into_filter(self, region: Option<&RegionCode>) -> ApiResult<CallFilter> {
        let search = CallSearch {
            status: self.status,
            direction: self.direction,
            source: self.source,
            user_id: self.user_id,
            agent_id: self.agent_id,
            lead_id: self.lead_id,
            number: self.number,
            from: self.from,
            to: self.to,
            min_duration: self.min_duration,
            max_duration: self.max_duration,
            has_recording: self.has_recording,
            tag: self.tag,
            q: self.q,
        };
        Ok(search.into_filter(region)?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
pub enum CallSortParam {
    #[default]
    #[serde(rename = "-started_at")]
    StartedAtDesc,
    #[serde(rename = "started_at")]
    StartedAt,
    #[serde(rename = "-duration")]
    DurationDesc,
    #[serde(rename = "duration")]
    Duration,
}

impl CallSortParam {
    const fn split(self) -> (CallSort, SortOrder) {
        match self {
            Self::StartedAtDesc => (CallSort::StartedAt, SortOrder::Descending),
            Self::StartedAt => (CallSort::StartedAt, SortOrder::Ascending),
            Self::DurationDesc => (CallSort::Duration, SortOrder::Descending),
            Self::Duration => (CallSort::Duration, SortOrder::Ascending),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallListParams {
    /// Calls per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, as this server issued it for the same `sort`
    /// (any other value is refused with 400 `invalid_cursor`); empty for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// `-started_at` (default, newest first), `started_at`, `-duration` or `duration`.
    #[param(inline)]
    pub sort: Option<CallSortParam>,
}

/// What a call cursor carries: the last call's sort key and id, and the sort it was made for.
#[derive(Serialize, Deserialize)]
struct CallCursorBody {
    k: i64,
    id: Uuid,
    s: CallSortParam,
}

impl CallListParams {
    fn page_request(&self) -> ApiResult<CallPageRequest> {
        let limit = page_limit(self.limit)?;
        let sort = self.sort.unwrap_or_default();
        let after = match self.cursor.as_deref().filter(|cursor| !cursor.is_empty()) {
            None => None,
            Some(cursor) => {
                let body: CallCursorBody = decode_json_cursor(cursor)?;
                if body.s != sort {
                    return Err(invalid_cursor("the cursor was issued for another sort order"));
                }
                Some(CallCursor { key: body.k, id: CallId::from(body.id) })
            }
        };
        let (sort_by, order) = sort.split();
        Ok(CallPageRequest { sort: sort_by, order, after, limit })
    }
}

/// The call history, newest first unless sorted otherwise, with keyset cursors that stay
/// stable while calls arrive.
#[utoipa::path(get, path = "/calls", tag = "calls", params(CallListParams, CallFilterParams),
    responses((status = 200, body = PageOut<CallOut>), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_calls(
    State(state): State<AppState>,
    principal: Principal,
    Query(list): Query<CallListParams>,
    Query(params): Query<CallFilterParams>,
) -> ApiResult<Json<PageOut<CallOut>>> {
    let workspace = principal.workspace_id()?;
    let request = list.page_request()?;
    let region = match params.number {
        Some(_) => workspace_region(&state, workspace).await?,
        None => None,
    };
    let mut filter = params.into_filter(region.as_ref())?;
    narrow_calls(&mut filter, only_calls_of(&state, &principal).await?)?;
    let page = state.store.list_calls(workspace, &filter, &request).await?;
    let sort = list.sort.unwrap_or_default();
    let next_cursor = page.next.map(|next| {
        encode_json_cursor(&CallCursorBody { k: next.key, id: next.id.into(), s: sort })
    });
    Ok(Json(PageOut { data: page.items.into_iter().map(CallOut::from).collect(), next_cursor }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `ndjson`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Every call matching the filters, oldest first, as CSV or NDJSON, streamed.
#[utoipa::path(get, path = "/calls/export", tag = "calls", params(ExportParams, CallFilterParams),
    responses((status = 200, content(
        (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_calls(
    State(state): State<AppState>,
    principal: Principal,
    Query(export): Query<ExportParams>,
    Query(params): Query<CallFilterParams>,
) -> ApiResult<Response> {
    let workspace = principal.workspace_id()?;
    let region = match params.number {
        Some(_) => workspace_region(&state, workspace).await?,
        None => None,
    };
    let mut filter = params.into_filter(region.as_ref())?;
    narrow_calls(&mut filter, only_calls_of(&state, &principal).await?)?;
    let format = export.format.unwrap_or_default();
    let stream = export_stream(state.store.clone(), workspace, filter, format);
    let disposition = format!("attachment; filename=\"calls.{}\"", format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
