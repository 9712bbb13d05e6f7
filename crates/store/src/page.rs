//! Keyset pagination over UUIDv7 ids, which sort by creation time.

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    Ascending,
    #[default]
    Descending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Continue after this id (exclusive), in `order`.
    pub after: Option<Uuid>,
    pub limit: u32,
    pub order: SortOrder,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 1000;

    #[must_use]
    pub fn first(limit: u32) -> Self {
        Self { after: None, limit: limit.clamp(1, Self::MAX_LIMIT), order: SortOrder::Descending }
    }

    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, Self::MAX_LIMIT)) + 1
    }

    pub(crate) fn order_sql(&self) -> &'static str {
        match self.order {
            SortOrder::Ascending => "ASC",
            SortOrder::Descending => "DESC",
        }
    }

    pub(crate) fn after_op(&self) -> &'static str {
        match self.order {
            SortOrder::Ascending => ">",
            SortOrder::Descending => "<",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The key to pass as `after` for the next page; `None` on the last page.
    pub next: Option<Uuid>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only proves there is more.
    pub(crate) fn from_overfetch(
        mut items: Vec<T>,
        page: &PageRequest,
        key: impl Fn(&T) -> Uuid,
    ) -> Self {
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT) as usize;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(key)
        } else {
            None
        };
        Self { items, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}
