//! The `GET /calls` query. Most filters are conditions checked while walking the time index,
//! which finds a page quickly when many calls match. Number, tag and word filters usually
//! match few calls: when they match at most `DRIVING_LIMIT`, the query starts from those
//! calls instead and sorts them, so a rare match never means walking millions of rows.

use callbase_domain::WorkspaceId;
use sqlx::AssertSqlSafe;

use super::call_rows::{CALL_COLUMNS, suffix_range};
use super::select::{Arg, Select, bind_args, numbered};
use super::{Pools, SqlStore, read};
use crate::{CallFilter, CallPageRequest, CallSort, SortOrder, StoreResult};

/// Most ids a selective filter may match for the query to start from them.
const DRIVING_LIMIT: i64 = 2000;

/// Most calls an index page may sort: their ids and start times come from one index
/// without reading rows, so sorting this many is a few milliseconds.
const INDEX_PAGE_LIMIT: i64 = 20_000;

/// Rows a word search walks in page order looking for its page among them, before it counts
/// its matches instead (and starts from them when they are few).
const WORD_WINDOW: i64 = 8192;

/// Calls with a transcript segment holding every word: SQLite binds the FTS5 query and the
/// workspace, PostgreSQL the workspace and the words. `{call}` is the call's id column.
const SQLITE_TRANSCRIPT_MATCH: &str = "{call} IN (SELECT s.call_id FROM transcript_fts JOIN \
     transcript_segments s ON s.id = transcript_fts.rowid WHERE transcript_fts MATCH ? \
     AND s.workspace_id = ?)";
const POSTGRES_TRANSCRIPT_MATCH: &str = "EXISTS (SELECT 1 FROM transcript_segments s \
     WHERE s.workspace_id = ? AND s.call_id = {call} AND s.search @@ plainto_tsquery('simple', ?))";

/// What `index_page_query` found.
pub(crate) enum IndexPage {
    /// The page's query and its arguments.
    Query(String, Vec<Arg>),
    /// The filter matches too many calls to sort them all.
    Common,
    /// The filter is not a number or a minimum duration alone, or the sort is not by start.
    NotApplicable,
}

/// The one filter an index page serves: the indexed conditions that select its calls, each
/// an arm read from its own index (`?` bound to the arm's arguments), united.
struct IndexedFilter {
    arms: Vec<(&'static str, Vec<Arg>)>,
}

impl IndexedFilter {
    /// A number (either side of the call) or a minimum talk time, when it is the filter's
    /// only condition besides a time range.
    fn of(filter: &CallFilter) -> Option<Self> {
        let rest = CallFilter { from: None, to: None, ..filter.clone() };
        if let Some(digits) = &filter.number_suffix {
            if rest != (CallFilter { number_suffix: Some(digits.clone()), ..CallFilter::default() })
            {
                return None;
            }
            let (low, high) = suffix_range(digits);
            let range = || vec![Arg::Text(low.clone()), Arg::Text(high.clone())];
            return Some(Self {
                arms: vec![
                    ("from_rev >= ? AND from_rev < ?", range()),
                    ("to_rev >= ? AND to_rev < ?", range()),
                ],
            });
        }
        let seconds = filter.min_duration?;
        if rest != (CallFilter { min_duration: Some(seconds), ..CallFilter::default() }) {
            return None;
        }
        Some(Self { arms: vec![("duration >= ?", vec![Arg::Int(seconds)])] })
    }

    /// `SELECT id, started_at` of the matching calls in `workspace` (and in the time range).
    fn ids(&self, workspace: WorkspaceId, filter: &CallFilter) -> (String, Vec<Arg>) {
        let mut args = Vec::new();
        let arms: Vec<String> = self
            .arms
            .iter()
            .map(|(condition, arm_args)| {
                let mut sql = format!(
                    "SELECT id, started_at FROM calls WHERE workspace_id = ? AND {condition}"
                );
                args.push(Arg::Uuid(workspace.into()));
                args.extend(arm_args.iter().cloned());
                if let Some(from) = filter.from {
                    sql.push_str(" AND started_at >= ?");
                    args.push(Arg::Int(from.as_microsecond()));
                }
                if let Some(to) = filter.to {
                    sql.push_str(" AND started_at < ?");
                    args.push(Arg::Int(to.as_microsecond()));
                }
                sql
            })
            .collect();
        (arms.join(" UNION "), args)
    }
}

/// The calls a filter selects: a subquery with `?` placeholders whose one column `k` holds
/// `key` (the call id, or SQLite's rowid for the full-text index), and the same test as a
/// condition on one call row, for when the set is too large to start from.
struct IdSet {
    sql: String,
    args: Vec<Arg>,
    /// Counting the set up to `DRIVING_LIMIT`, where `sql` cannot stop early (a `UNION` must
    /// see every row to remove duplicates; `UNION ALL` can stop, and overcounting only makes
    /// the query start from the time index). Binds the same `args`.
    probe: Option<String>,
    key: &'static str,
    check: String,
    check_args: Vec<Arg>,
}

impl SqlStore {
    /// The id sets of the number, tag and word filters present, most selective kind first.
    fn id_sets(&self, workspace: WorkspaceId, filter: &CallFilter) -> Vec<IdSet> {
        let ws = || Arg::Uuid(workspace.into());
        let mut sets = Vec::new();
        if let Some(digits) = &filter.number_suffix {
            let (low, high) = suffix_range(digits);
            let range = || vec![Arg::Text(low.clone()), Arg::Text(high.clone())];
            sets.push(IdSet {
                sql: "SELECT id AS k FROM calls WHERE workspace_id = ? AND from_rev >= ? \
                      AND from_rev < ? UNION SELECT id FROM calls WHERE workspace_id = ? \
                      AND to_rev >= ? AND to_rev < ?"
                    .to_owned(),
                args: [vec![ws()], range(), vec![ws()], range()].concat(),
                probe: None,
                key: "c.id",
                check: "(c.from_rev >= ? AND c.from_rev < ?) OR (c.to_rev >= ? AND c.to_rev < ?)"
                    .to_owned(),
                check_args: [range(), range()].concat(),
            });
        }
        if let Some(tag) = &filter.tag {
            sets.push(IdSet {
                sql: "SELECT call_id AS k FROM call_tags WHERE workspace_id = ? AND tag = ?"
                    .to_owned(),
                args: vec![ws(), Arg::Text(tag.clone())],
                probe: None,
                key: "c.id",
                // A probe of the tag table's key per call walked, not a set built up front.
                check: "EXISTS (SELECT 1 FROM call_tags t WHERE t.workspace_id = ? \
                        AND t.tag = ? AND t.call_id = c.id)"
                    .to_owned(),
                check_args: vec![ws(), Arg::Text(tag.clone())],
            });
        }
        if let Some(q) = &filter.q {
            // Names and notes, or one transcript segment, hold every word.
            sets.push(match self.pools {
                // The calls' FTS table is keyed by their rowids, the transcripts' by segment
                // (all workspaces for the names: the outer query keeps to one).
                Pools::Sqlite { .. } => {
                    let words = || Arg::Text(fts5_query(q));
                    IdSet {
                        sql: "SELECT n.id AS k FROM calls_fts JOIN calls n \
                              ON n.rowid = calls_fts.rowid WHERE calls_fts MATCH ? \
                              UNION SELECT s.call_id FROM transcript_fts JOIN \
                              transcript_segments s ON s.id = transcript_fts.rowid \
                              WHERE transcript_fts MATCH ? AND s.workspace_id = ?"
                            .to_owned(),
                        args: vec![words(), words(), ws()],
                        probe: Some(
                            "SELECT n.id AS k FROM calls_fts JOIN calls n \
                             ON n.rowid = calls_fts.rowid WHERE calls_fts MATCH ? \
                             UNION ALL SELECT s.call_id FROM transcript_fts JOIN \
                             transcript_segments s ON s.id = transcript_fts.rowid \
                             WHERE transcript_fts MATCH ? AND s.workspace_id = ?"
                                .to_owned(),
                        ),
                        key: "c.id",
                        check: format!(
                            "c.rowid IN (SELECT rowid FROM calls_fts WHERE calls_fts MATCH ?) \
                             OR {}",
                            SQLITE_TRANSCRIPT_MATCH.replace("{call}", "c.id")
                        ),
                        check_args: vec![words(), words(), ws()],
                    }
                }
                Pools::Postgres(_) => {
                    let words = || Arg::Text(q.clone());
                    IdSet {
                        sql: "SELECT id AS k FROM calls WHERE workspace_id = ? \
                              AND search @@ plainto_tsquery('simple', ?) \
                              UNION SELECT call_id FROM transcript_segments \
                              WHERE workspace_id = ? AND search @@ plainto_tsquery('simple', ?)"
                            .to_owned(),
                        args: vec![ws(), words(), ws(), words()],
                        probe: Some(
                            "SELECT id AS k FROM calls WHERE workspace_id = ? \
                             AND search @@ plainto_tsquery('simple', ?) \
                             UNION ALL SELECT call_id FROM transcript_segments \
                             WHERE workspace_id = ? AND search @@ plainto_tsquery('simple', ?)"
                                .to_owned(),
                        ),
                        key: "c.id",
                        check: format!(
                            "c.search @@ plainto_tsquery('simple', ?) OR {}",
                            POSTGRES_TRANSCRIPT_MATCH.replace("{call}", "c.id")
                        ),
                        check_args: vec![words(), ws(), words()],
                    }
                }
            });
        }
        sets
    }

    /// True when `set` matches at most `DRIVING_LIMIT` calls (counting stops there).
    async fn is_selective(&self, set: &IdSet) -> StoreResult<bool> {
        let matching = set.probe.as_deref().unwrap_or(&set.sql);
        Ok(self.count_at_most(matching, set.args.clone(), DRIVING_LIMIT).await? <= DRIVING_LIMIT)
    }

    /// How many rows `sql` (with `?` placeholders bound to `args`) selects, counting no
    /// further than `limit + 1`.
    async fn count_at_most(&self, sql: &str, args: Vec<Arg>, limit: i64) -> StoreResult<i64> {
        let counted =
            format!("SELECT COUNT(*) FROM ({} LIMIT {}) probe", numbered(sql, 1), limit + 1);
        Ok(read!(self, pool => {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(counted)), args).fetch_one(pool).await
        })?)
    }

    /// A page of calls whose only filter is a number or a minimum duration (and perhaps a
    /// time range), sorted by start: when at most `INDEX_PAGE_LIMIT` calls match, their ids
    /// and start times come from the filter's indexes alone, are sorted and cut to the page,
    /// and only the page's rows are read. Otherwise the general query serves it (told when a
    /// number was found common, so it does not count the number's calls a second time).
    pub(crate) async fn index_page_query(
        &self,
        workspace: WorkspaceId,
        filter: &CallFilter,
        page: &CallPageRequest,
    ) -> StoreResult<IndexPage> {
        let Some(indexed) = IndexedFilter::of(filter) else {
            return Ok(IndexPage::NotApplicable);
        };
        if page.sort != CallSort::StartedAt {
            return Ok(IndexPage::NotApplicable);
        }
        let (matching, mut args) = indexed.ids(workspace, filter);
        if self.count_at_most(&matching, args.clone(), INDEX_PAGE_LIMIT).await? > INDEX_PAGE_LIMIT {
            return Ok(IndexPage::Common);
        }
        let (op, direction) = match page.order {
            SortOrder::Ascending => (">", "ASC"),
            SortOrder::Descending => ("<", "DESC"),
        };
        // Materialized: the matches are read from their index first, never by walking the
        // time index for the cursor's sake.
        let mut ids = format!("WITH m AS MATERIALIZED ({matching}) SELECT id, started_at FROM m");
        if let Some(cursor) = &page.after {
            ids.push_str(&format!(" WHERE (started_at, id) {op} (?, ?)"));
            args.extend([Arg::Int(cursor.key), Arg::Uuid(cursor.id.into())]);
        }
        ids.push_str(&format!(" ORDER BY started_at {direction}, id {direction} LIMIT ?"));
        args.push(Arg::Int(i64::from(page.limit.clamp(1, crate::PageRequest::MAX_LIMIT)) + 1));
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM ({ids}) p CROSS JOIN calls c WHERE c.id = p.id \
             ORDER BY c.started_at {direction}, c.id {direction}"
        );
        Ok(IndexPage::Query(numbered(&sql, 1), args))
    }

    /// A page of a word search (with any filters but a number or a tag), looked for among the
    /// first `WORD_WINDOW` calls in page order that pass the other filters: a common word
    /// fills its page there, without the cost of listing every call that holds it. The page
    /// is exact when the query returns more calls than the page holds (a match past the
    /// window comes after all of them); otherwise the caller asks the general query.
    pub(crate) fn word_window_query(
        &self,
        workspace: WorkspaceId,
        filter: &CallFilter,
        page: &CallPageRequest,
    ) -> Option<(String, Vec<Arg>)> {
        let q = filter.q.as_ref()?;
        if filter.number_suffix.is_some() || filter.tag.is_some() {
            return None;
        }
        let key_column = match page.sort {
            CallSort::StartedAt => "c.started_at",
            CallSort::Duration => "c.duration",
        };
        let direction = match page.order {
            SortOrder::Ascending => "ASC",
            SortOrder::Descending => "DESC",
        };
        // SQLite walks a covering index for rowids; PostgreSQL streams whole rows and stops
        // at the page's last match.
        let columns = match self.pools {
            Pools::Sqlite { .. } => "c.rowid AS r, c.id AS wid",
            Pools::Postgres(_) => "c.*",
        };
        let mut window = Select::new(&format!("SELECT {columns} FROM calls c"));
        window.and("c.workspace_id = ?", Arg::Uuid(workspace.into()));
        add_conditions(&mut window, &CallFilter { q: None, ..filter.clone() }, false);
        let cursor = page.after.map(|cursor| (cursor.key, cursor.id.into()));
        let (window, mut args) =
            window.keyset_fetching(key_column, "c.id", cursor, page.order, WORD_WINDOW);
        let first_new = args.len() + 1;
        let ws = Arg::Uuid(workspace.into());
        let sql = match self.pools {
            // The names' index is read only between the window's lowest and highest rowid:
            // calls are mostly stored in the order they start, so that is a narrow range.
            Pools::Sqlite { .. } => {
                let words = fts5_query(q);
                args.extend([Arg::Text(words.clone()), Arg::Text(words), ws]);
                format!(
                    "WITH w AS ({window}) SELECT {CALL_COLUMNS} FROM w CROSS JOIN calls c \
                     WHERE c.rowid = w.r AND (w.r IN (SELECT rowid FROM calls_fts \
                     WHERE calls_fts MATCH ? AND rowid >= (SELECT min(r) FROM w) \
                     AND rowid <= (SELECT max(r) FROM w)) OR {}) \
                     ORDER BY {key_column} {direction}, c.id {direction} LIMIT ?",
                    SQLITE_TRANSCRIPT_MATCH.replace("{call}", "w.wid")
                )
            }
            Pools::Postgres(_) => {
                args.extend([Arg::Text(q.clone()), ws, Arg::Text(q.clone())]);
                format!(
                    "SELECT {CALL_COLUMNS} FROM ({window}) c \
                     WHERE c.search @@ plainto_tsquery('simple', ?) OR {} \
                     ORDER BY {key_column} {direction}, c.id {direction} LIMIT ?",
                    POSTGRES_TRANSCRIPT_MATCH.replace("{call}", "c.id")
                )
            }
        };
        args.push(Arg::Int(i64::from(page.limit.clamp(1, crate::PageRequest::MAX_LIMIT)) + 1));
        Some((numbered(&sql, first_new), args))
    }

    /// The list query for `filter`, before paging.
    /// `indexed_is_common`: `index_page_query` counted the calls of the number or minimum
    /// duration filter and found them too many to start from.
    pub(crate) async fn call_select(
        &self,
        workspace: WorkspaceId,
        filter: &CallFilter,
        indexed_is_common: bool,
    ) -> StoreResult<Select> {
        let mut driving = None;
        let mut checks = Vec::new();
        for (index, set) in self.id_sets(workspace, filter).into_iter().enumerate() {
            // The number's set, when present, comes first.
            let known_common = index == 0 && indexed_is_common && filter.number_suffix.is_some();
            if driving.is_none() && !known_common && self.is_selective(&set).await? {
                driving = Some(set);
            } else {
                checks.push(set);
            }
        }
        let mut select = match driving {
            Some(set) => {
                let base = format!("SELECT {CALL_COLUMNS} FROM ({}) m CROSS JOIN calls c", set.sql);
                let mut select = Select::with_args(&base, set.args);
                select.and_each(&format!("{} = m.k", set.key), Vec::new());
                select
            }
            None => Select::new(&format!("SELECT {CALL_COLUMNS} FROM calls c")),
        };
        select.and("c.workspace_id = ?", Arg::Uuid(workspace.into()));
        add_conditions(&mut select, filter, indexed_is_common);
        for set in checks {
            select.and_each(&set.check, set.check_args);
        }
        Ok(select)
    }
}

/// The filters that are plain conditions on the call row. `long_calls_are_common`: so many
/// calls last `min_duration` that walking the time index finds a page sooner than the
/// duration index would (counted by `index_page_query`).
fn add_conditions(select: &mut Select, filter: &CallFilter, long_calls_are_common: bool) {
    let text = |value: &str| Arg::Text(value.to_owned());
    select
        .and_if("c.status = ?", filter.status.map(|s| text(s.as_str())))
        .and_if("c.direction = ?", filter.direction.map(|d| text(d.as_str())))
        .and_if("c.source = ?", filter.source.as_ref().map(|s| text(s.as_str())))
        .and_if("c.user_id = ?", filter.user_id.map(|id| Arg::Uuid(id.into())))
        .and_if("c.agent_id = ?", filter.agent_id.map(Arg::Uuid))
        .and_if("c.lead_id = ?", filter.lead_id.map(Arg::Uuid))
        .and_if("c.started_at >= ?", filter.from.map(|at| Arg::Int(at.as_microsecond())))
        .and_if("c.started_at < ?", filter.to.map(|at| Arg::Int(at.as_microsecond())))
        // A lower bound is usually selective (long calls are few): the duration index
        // serves it. An upper bound matches most calls (every unanswered one): `+` keeps
        // the planner on the time index, which finds a page of them at once.
        .and_if(
            if long_calls_are_common { "+c.duration >= ?" } else { "c.duration >= ?" },
            filter.min_duration.map(Arg::Int),
        )
        .and_if("+c.duration <= ?", filter.max_duration.map(Arg::Int))
        .and_when(filter.has_recording == Some(true), "c.has_recording")
        .and_when(filter.has_recording == Some(false), "NOT c.has_recording");
}
/// Words as an FTS5 query that matches rows containing all of them: each word is quoted,
/// so no user input is read as FTS5 syntax.
pub(crate) fn fts5_query(q: &str) -> String {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{word}\""))
        .collect();
    if words.is_empty() { "\"\"".to_owned() } else { words.join(" ") }
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn fts5_queries_quote_every_word() {
        assert_eq!(fts5_query("Anna  Müller"), "\"Anna\" \"Müller\"");
        assert_eq!(fts5_query("a\" OR b*"), "\"a\" \"OR\" \"b\"");
        assert_eq!(fts5_query("***"), "\"\"");
    }
}
