//! A tiny builder for list queries: fixed columns, optional `AND` filters, keyset paging.
//! Values are always bound, never spliced; only our own column names enter the text.

use uuid::Uuid;

use crate::{PageRequest, SortOrder};

/// A value to bind, in a form both drivers encode.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Uuid(Uuid),
    Text(String),
    Int(i64),
}

#[derive(Debug)]
pub(crate) struct Select {
    sql: String,
    args: Vec<Arg>,
    has_where: bool,
}

impl Select {
    /// `base` is `SELECT … FROM …` with no `WHERE`.
    pub(crate) fn new(base: &str) -> Self {
        Self { sql: base.to_owned(), args: Vec::new(), has_where: false }
    }

    /// Like `new`, where the n-th `?` in `base` (a subquery in `FROM`, say) binds `args[n]`.
    pub(crate) fn with_args(base: &str, args: Vec<Arg>) -> Self {
        Self { sql: numbered(base, 1), args, has_where: false }
    }

    /// Adds `AND <condition>`, where each `?` in `condition` is one placeholder bound to `arg`.
    pub(crate) fn and(&mut self, condition: &str, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let placeholder = format!("${}", self.args.len());
        self.push_condition(&condition.replace('?', &placeholder));
        self
    }

    /// Adds `AND <condition>` where the n-th `?` is bound to the n-th of `args`.
    pub(crate) fn and_each(&mut self, condition: &str, args: Vec<Arg>) -> &mut Self {
        let mut text = String::with_capacity(condition.len() + 8);
        let mut args = args.into_iter();
        for (i, part) in condition.split('?').enumerate() {
            if i > 0 {
                if let Some(arg) = args.next() {
                    self.args.push(arg);
                }
                text.push_str(&format!("${}", self.args.len()));
            }
            text.push_str(part);
        }
        self.push_condition(&text);
        self
    }

    /// Adds `AND <condition>` that binds nothing, when `enabled`.
    pub(crate) fn and_when(&mut self, enabled: bool, condition: &'static str) -> &mut Self {
        if enabled {
            self.push_condition(condition);
        }
        self
    }

    fn push_condition(&mut self, condition: &str) {
        self.sql.push_str(if self.has_where { " AND " } else { " WHERE " });
        self.has_where = true;
        self.sql.push('(');
        self.sql.push_str(condition);
        self.sql.push(')');
    }

    pub(crate) fn and_if(&mut self, condition: &str, arg: Option<Arg>) -> &mut Self {
        if let Some(arg) = arg {
            self.and(condition, arg);
        }
        self
    }

    /// Closes the query as it is: every row it matches.
    pub(crate) fn finish(self) -> (String, Vec<Arg>) {
        (self.sql, self.args)
    }

    /// Pages by `key_column` (a UUIDv7, so creation order) and closes the query.
    pub(crate) fn page(mut self, key_column: &str, page: &PageRequest) -> (String, Vec<Arg>) {
        if let Some(after) = page.after {
            let condition = format!("{key_column} {} ?", page.after_op());
            self.and(&condition, Arg::Uuid(after));
        }
        self.args.push(Arg::Int(page.fetch_limit()));
        let sql = format!(
            "{} ORDER BY {key_column} {} LIMIT ${}",
            self.sql,
            page.order_sql(),
            self.args.len()
        );
        (sql, self.args)
    }
}

impl Select {
    /// Pages by `(key_column, id_column)` after `cursor` and closes the query, fetching one
    /// row more than the page to tell whether another follows.
    pub(crate) fn keyset(
        self,
        key_column: &str,
        id_column: &str,
        cursor: Option<(i64, Uuid)>,
        order: SortOrder,
        limit: u32,
    ) -> (String, Vec<Arg>) {
        let fetch = i64::from(limit.clamp(1, PageRequest::MAX_LIMIT)) + 1;
        self.keyset_fetching(key_column, id_column, cursor, order, fetch)
    }

    /// Like `keyset`, fetching up to `fetch` rows.
    pub(crate) fn keyset_fetching(
        mut self,
        key_column: &str,
        id_column: &str,
        cursor: Option<(i64, Uuid)>,
        order: SortOrder,
        fetch: i64,
    ) -> (String, Vec<Arg>) {
        let (op, direction) = match order {
            SortOrder::Ascending => (">", "ASC"),
            SortOrder::Descending => ("<", "DESC"),
        };
        if let Some((key, id)) = cursor {
            let condition = format!("({key_column}, {id_column}) {op} (?, ?)");
            self.and_each(&condition, vec![Arg::Int(key), Arg::Uuid(id)]);
        }
        self.args.push(Arg::Int(fetch));
        let sql = format!(
            "{} ORDER BY {key_column} {direction}, {id_column} {direction} LIMIT ${}",
            self.sql,
            self.args.len()
        );
        (sql, self.args)
    }
}

/// `sql` with each `?` replaced by `$first`, `$first + 1`, … in order.
pub(crate) fn numbered(sql: &str, first: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    for (i, part) in sql.split('?').enumerate() {
        if i > 0 {
            out.push_str(&format!("${}", first + i - 1));
        }
        out.push_str(part);
    }
    out
}

/// Binds `$args` in order to `$query` (a `sqlx::query` or `sqlx::query_as`).
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::sql::select::Arg::Uuid(value) => query.bind(value),
                $crate::sql::select::Arg::Text(value) => query.bind(value),
                $crate::sql::select::Arg::Int(value) => query.bind(value),
            };
        }
        query
    }};
}
pub(crate) use bind_args;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut select = Select::new("SELECT x FROM t");
        select.and("a = ?", Arg::Int(1)).and_if("b = ?", None).and("c = ? OR d = ?", Arg::Int(2));
        let page = PageRequest { after: Some(Uuid::nil()), ..PageRequest::first(10) };
        let (sql, args) = select.page("id", &page);
        assert_eq!(
            sql,
            "SELECT x FROM t WHERE (a = $1) AND (c = $2 OR d = $2) AND (id < $3) ORDER BY id DESC LIMIT $4"
        );
        assert_eq!(args.len(), 4);
    }

    #[test]
    fn keyset_pages_on_two_columns() {
        let mut select = Select::new("SELECT x FROM t");
        select.and_each("(a >= ? AND a < ?)", vec![Arg::Int(1), Arg::Int(2)]);
        let (sql, args) =
            select.keyset("k", "id", Some((5, Uuid::nil())), SortOrder::Descending, 10);
        assert_eq!(
            sql,
            "SELECT x FROM t WHERE ((a >= $1 AND a < $2)) AND ((k, id) < ($3, $4)) \
             ORDER BY k DESC, id DESC LIMIT $5"
        );
        assert_eq!(args.len(), 5);
    }
}
