//! SQLite's inbox for timeline entries (PERF-1). An entry appended to a call that changes
//! nothing else (`append_event`) is inserted into `call_events_inbox`, a table indexed by
//! its rowid alone: a committed batch of entries for many calls dirties the one or two
//! pages at its end, where `call_events` would dirty a page of `call_events_by_call` per
//! call, and every dirty page is written to the WAL and synced. The committer folds the
//! inbox into `call_events` in bulk, sorted by call, so each index page then takes many
//! entries at once. Reading a timeline reads both tables in one statement (one snapshot),
//! so an entry is found in exactly one of them at any moment.

use std::collections::HashMap;

use callbase_domain::WorkspaceId;
use callbase_domain::call::{CallEvent, CallStatus};
use sqlx::{AssertSqlSafe, SqlitePool};
use uuid::Uuid;

use super::call_rows::{EVENT_COLUMNS, parse_status};
use super::import::{EVENTS_PER_STATEMENT, bind_event_columns, multi_row_sql};
use crate::StoreResult;

/// Entries the inbox may hold before the committer folds it; reading a timeline scans it.
pub(crate) const FOLD_AT: usize = 4096;

/// Drops the inbox entries of the deleted call `$1` (the inbox has no foreign key).
pub(crate) const DROP_INBOX_OF_CALL: &str = "DELETE FROM call_events_inbox WHERE call_id = $1";

/// Drops the inbox entries of the calls of workspace `$1`, before it is deleted.
pub(crate) const DROP_INBOX_OF_WORKSPACE: &str = "DELETE FROM call_events_inbox WHERE EXISTS \
     (SELECT 1 FROM calls c WHERE c.id = call_events_inbox.call_id AND c.workspace_id = $1)";

/// A call's timeline on SQLite, `$1` the workspace and `$2` the call, oldest first.
pub(crate) fn timeline_sql() -> String {
    let inbox_columns = EVENT_COLUMNS.replace("e.", "i.");
    format!(
        "SELECT {EVENT_COLUMNS} FROM call_events e JOIN calls c ON c.id = e.call_id \
         WHERE c.workspace_id = $1 AND e.call_id = $2 \
         UNION ALL \
         SELECT {inbox_columns} FROM call_events_inbox i JOIN calls c ON c.id = i.call_id \
         WHERE c.workspace_id = $1 AND i.call_id = $2 \
         ORDER BY 4, 1"
    )
}

/// The insert of `rows` entries into the inbox, each bound as (id, call id, type, at, actor,
/// data, workspace id): an entry whose call is not in that workspace is left out, and each
/// inserted entry returns its id with its call's status. One statement, one round trip.
fn append_sql(rows: usize) -> String {
    let head = "INSERT INTO call_events_inbox (id, call_id, type, at, actor, data) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6 FROM (VALUES ";
    let mut sql = multi_row_sql(head, 7, rows, false);
    sql.push_str(
        ") v WHERE EXISTS (SELECT 1 FROM calls c WHERE c.id = v.column2 \
         AND c.workspace_id = v.column7) \
         RETURNING id, (SELECT c.status FROM calls c WHERE c.id = call_id)",
    );
    sql
}

/// Appends `items` (workspace, entry) whose calls exist in their workspace to the inbox;
/// answers each with its call's status, or `None`. Atomic when `items` fit one statement
/// (`EVENTS_PER_STATEMENT`); callers with more run it in a transaction.
pub(crate) async fn append_events_on_sqlite(
    connection: &mut sqlx::SqliteConnection,
    items: &[(WorkspaceId, CallEvent)],
) -> StoreResult<Vec<Option<CallStatus>>> {
    let mut found: HashMap<Uuid, CallStatus> = HashMap::with_capacity(items.len());
    for chunk in items.chunks(EVENTS_PER_STATEMENT) {
        let sql = AssertSqlSafe(append_sql(chunk.len()));
        let mut query = sqlx::query_as::<_, (Uuid, String)>(sql);
        for (workspace, event) in chunk {
            query = bind_event_columns!(query, event).bind(*workspace.as_uuid());
        }
        for (id, status) in query.fetch_all(&mut *connection).await? {
            found.insert(id, parse_status(&status)?);
        }
    }
    Ok(items.iter().map(|(_, event)| found.get(event.id.as_uuid()).copied()).collect())
}

/// Moves every inbox entry whose call still exists into `call_events`, sorted by call, and
/// empties the inbox, in one transaction. Answers how many entries moved.
pub(crate) async fn fold(pool: &SqlitePool) -> StoreResult<u64> {
    let mut tx = pool.begin().await?;
    let moved = sqlx::query(
        "INSERT INTO call_events (id, call_id, type, at, actor, data) \
         SELECT i.id, i.call_id, i.type, i.at, i.actor, i.data FROM call_events_inbox i \
         WHERE EXISTS (SELECT 1 FROM calls c WHERE c.id = i.call_id) \
         ORDER BY i.call_id, i.at, i.seq",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM call_events_inbox").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(moved)
}
