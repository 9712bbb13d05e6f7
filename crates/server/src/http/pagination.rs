//! List conventions: `limit`, opaque `cursor`, `sort`; answers `{data, next_cursor}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callbase_store::{Page, PageRequest, SortOrder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode};

pub const DEFAULT_LIMIT: u32 = 50;

/// How a list is ordered: by creation time, newest first unless asked otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum Sort {
    #[serde(rename = "created_at")]
    CreatedAt,
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, as this server issued it (any other value is
    /// refused with 400 `invalid_cursor`); empty for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// `-created_at` (default, newest first) or `created_at`.
    #[param(inline)]
    pub sort: Option<Sort>,
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    /// The last id of the previous page.
    after: Uuid,
    /// Direction it was issued for, so a cursor cannot be replayed against another sort.
    asc: bool,
}

impl ListParams {
    /// Validates limit, cursor and sort together.
    pub fn page_request(&self) -> ApiResult<PageRequest> {
        let limit = page_limit(self.limit)?;
        let order = match self.sort.unwrap_or_default() {
            Sort::CreatedAt => SortOrder::Ascending,
            Sort::CreatedAtDesc => SortOrder::Descending,
        };
        // An empty `cursor=` is what many clients send for the first page.
        let after = match self.cursor.as_deref().filter(|cursor| !cursor.is_empty()) {
            None => None,
            Some(cursor) => {
                let body = decode_cursor(cursor)?;
                if body.asc != (order == SortOrder::Ascending) {
                    return Err(invalid_cursor("the cursor was issued for another sort order"));
                }
                Some(body.after)
            }
        };
        Ok(PageRequest { after, limit, order })
    }
}

pub(crate) fn invalid_cursor(reason: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidCursor, format!("query parameter cursor: {reason}"))
        .with_details(serde_json::json!({ "parameter": "cursor" }))
}

/// Reads a cursor this server issued with `encode_json_cursor`.
pub(crate) fn decode_json_cursor<T: DeserializeOwned>(cursor: &str) -> ApiResult<T> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .map_err(|_| invalid_cursor("not a cursor this server issued"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid_cursor("not a cursor this server issued"))
}

/// An opaque cursor: base64url of the JSON of `body`.
pub(crate) fn encode_json_cursor<T: Serialize>(body: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(body).unwrap_or_default())
}

fn decode_cursor(cursor: &str) -> ApiResult<CursorBody> {
    decode_json_cursor(cursor)
}

fn encode_cursor(after: Uuid, order: SortOrder) -> String {
    encode_json_cursor(&CursorBody { after, asc: order == SortOrder::Ascending })
}

/// Checks a page size: 1 to 1000, 50 when not given.
pub(crate) fn page_limit(limit: Option<u32>) -> ApiResult<u32> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=PageRequest::MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("query parameter limit: must be between 1 and {}", PageRequest::MAX_LIMIT),
        )
        .with_details(serde_json::json!({ "parameter": "limit" })))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOut<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> PageOut<T> {
    pub fn from_page<S>(page: Page<S>, request: &PageRequest, f: impl FnMut(S) -> T) -> Self {
        let next_cursor = page.next.map(|after| encode_cursor(after, request.order));
        Self { data: page.items.into_iter().map(f).collect(), next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let id = Uuid::now_v7();
        let cursor = encode_cursor(id, SortOrder::Descending);
        let params = ListParams { cursor: Some(cursor.clone()), ..ListParams::default() };
        assert_eq!(params.page_request().ok().and_then(|p| p.after), Some(id));
        let empty = ListParams { cursor: Some(String::new()), ..ListParams::default() };
        assert_eq!(
            empty.page_request().ok().and_then(|p| p.after),
            None,
            "empty means the first page"
        );
        for bad in ["!!!", "eyJ9", &cursor[1..]] {
            let params = ListParams { cursor: Some(bad.to_owned()), ..ListParams::default() };
            assert!(params.page_request().is_err(), "{bad:?}");
        }
        let asc = ListParams {
            cursor: Some(cursor),
            sort: Some(Sort::CreatedAt),
            ..ListParams::default()
        };
        assert!(asc.page_request().is_err());
    }
}
