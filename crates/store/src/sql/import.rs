//! Bulk loading (demo data, imports): many calls per statement and per transaction, the
//! rollups summed per batch. The same rows and rollups as `create_call`, much faster.

use callbase_domain::WorkspaceId;
use callbase_domain::call::{Call, CallEvent};
use sqlx::AssertSqlSafe;

use super::call_rows::bind_call;
use super::rollups::{apply_rollups, fold_contributions, workspace_time_zone};
use super::{Pools, SqlStore, write};
use crate::{StoreError, StoreResult};

/// Rows per INSERT statement (37 parameters a call stay under SQLite's 32,766).
pub(crate) const CALLS_PER_STATEMENT: usize = 100;
pub(crate) const EVENTS_PER_STATEMENT: usize = 500;

pub(crate) const CALL_INSERT_HEAD: &str = "INSERT INTO calls (id, workspace_id, source, external_id, \
     direction, status, from_number, from_name, to_number, to_name, remote_number, from_rev, \
     to_rev, user_id, agent_id, lead_id, phone_number_id, parent_call_id, started_at, \
     answered_at, ended_at, ring_seconds, talk_seconds, duration, end_reason, sip_call_id, \
     disposition, notes, tags, blocked, has_recording, recorded_seconds, quality, cost, raw, \
     created_at, updated_at) VALUES ";

/// `head` followed by `rows` groups of `columns` placeholders: `$n` for PostgreSQL, `?` for
/// SQLite, where sqlx looks every named parameter up among all of them (quadratic in their
/// number) while anonymous ones bind in order.
pub(crate) fn multi_row_sql(head: &str, columns: usize, rows: usize, numbered: bool) -> String {
    let mut sql = String::with_capacity(head.len() + rows * columns * 5);
    sql.push_str(head);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push_str(&format!("${}", row * columns + column + 1));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// Binds the columns `(id, call_id, type, at, actor, data)` of the `CallEvent` `$event`.
macro_rules! bind_event_columns {
    ($query:expr, $event:expr) => {{
        let event: &callbase_domain::call::CallEvent = $event;
        $query
            .bind(*event.id.as_uuid())
            .bind(*event.call_id.as_uuid())
            .bind(event.kind.as_str())
            .bind(callbase_domain::to_micros(event.at))
            .bind(event.actor.as_deref())
            .bind(sqlx::types::Json(&event.data))
    }};
}
pub(crate) use bind_event_columns;

/// Appends the `CallEvent`s of `$events` through `$tx` to `call_events`, many per statement.
macro_rules! insert_events_in_bulk {
    ($tx:expr, $events:expr, $numbered:expr) => {{
        let events: &[callbase_domain::call::CallEvent] = $events;
        let head = "INSERT INTO call_events (id, call_id, type, at, actor, data) VALUES ";
        for chunk in events.chunks($crate::sql::import::EVENTS_PER_STATEMENT) {
            let sql = $crate::sql::import::multi_row_sql(head, 6, chunk.len(), $numbered);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for event in chunk {
                query = $crate::sql::import::bind_event_columns!(query, event);
            }
            query.execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use insert_events_in_bulk;

impl SqlStore {
    /// Inserts `calls` (all of `workspace`) with their timeline `events` in one transaction,
    /// adding their contributions to the rollups. Fails on any duplicate without writing.
    pub async fn import_calls(
        &self,
        workspace: WorkspaceId,
        calls: &[Call],
        events: &[CallEvent],
    ) -> StoreResult<()> {
        if calls.iter().any(|call| call.workspace_id != workspace) {
            return Err(StoreError::corrupt("calls.workspace_id", "a call of another workspace"));
        }
        let numbered = matches!(self.pools, Pools::Postgres(_));
        write!(self, pool => async {
            let mut tx = pool.begin().await?;
            let tz = workspace_time_zone!(tx, workspace)?;
            for chunk in calls.chunks(CALLS_PER_STATEMENT) {
                let sql = multi_row_sql(CALL_INSERT_HEAD, 37, chunk.len(), numbered);
                let mut query = sqlx::query(AssertSqlSafe(sql));
                for call in chunk {
                    query = bind_call!(query, call);
                }
                query.execute(&mut *tx).await?;
            }
            let tagged: Vec<(&Call, &String)> =
                calls.iter().flat_map(|call| call.tags.iter().map(move |tag| (call, tag))).collect();
            for chunk in tagged.chunks(EVENTS_PER_STATEMENT) {
                let sql = multi_row_sql("INSERT INTO call_tags (workspace_id, tag, call_id) VALUES ", 3, chunk.len(), numbered);
                let mut query = sqlx::query(AssertSqlSafe(sql));
                for (call, tag) in chunk {
                    query = query.bind(*call.workspace_id.as_uuid()).bind(tag.as_str()).bind(*call.id.as_uuid());
                }
                query.execute(&mut *tx).await?;
            }
            insert_events_in_bulk!(tx, events, numbered);
            apply_rollups!(tx, workspace, &fold_contributions(calls, &tz))?;
            tx.commit().await?;
            Ok(())
        }
        .await)
    }
}

#[cfg(test)]
mod tests {
    use super::multi_row_sql;

    #[test]
    fn placeholders_number_across_rows() {
        let head = "INSERT INTO t (a, b) VALUES ";
        assert_eq!(
            multi_row_sql(head, 2, 2, true),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(multi_row_sql(head, 2, 2, false), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
    }
}
