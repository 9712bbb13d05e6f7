//! A tiny builder for list queries: fixed columns, optional `AND` filters, keyset paging.
//! Values are always bound, never spliced; only our own column names enter the text.

use uuid::Uuid;

use crate::PageRequest;

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

    /// Adds `AND <condition>`, where each `?` in `condition` is one placeholder bound to `arg`.
    pub(crate) fn and(&mut self, condition: &str, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let placeholder = format!("${}", self.args.len());
        self.push_condition(&condition.replace('?', &placeholder));
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
}
