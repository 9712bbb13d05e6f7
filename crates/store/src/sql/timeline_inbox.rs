//! SQLite's inbox for timeline entries (PERF-1). An entry appended to a call that changes
//! nothing else (`append_event`) is inserted into `call_events_inbox`, a table indexed by
//! its rowid alone: a committed batch of entries for many calls dirties the one or two
//! pages at its end, where `call_events` would dirty a page of `call_events_by_call` per
//! call, and every dirty page is written to the WAL and synced. The committer folds the
//! inbox into `call_events` in bulk, sorted by call, so each index page then takes many
//! entries at once. Reading a timeline reads both tables in one statement (one snapshot),
//! so an entry is found in exactly one of them at any moment.

use callbase_domain::WorkspaceId;
use callbase_domain::call::{CallEvent, CallStatus};
use sqlx::SqlitePool;
use sqlx::types::Json;

use super::call_rows::{EVENT_COLUMNS, parse_status};
use super::import::insert_events_in_bulk;
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

/// The statuses of the calls of a batch: `$1` is a JSON array of `[call id in hex,
/// workspace id in hex]`; a row per item whose call exists in that workspace, with the
/// item's index. One statement text whatever the batch size, so it is prepared once.
const BATCH_STATUSES: &str = "SELECT CAST(j.key AS INTEGER), c.status FROM json_each($1) j \
     JOIN calls c ON c.id = unhex(j.value ->> 0) AND c.workspace_id = unhex(j.value ->> 1)";

/// Appends `items` (workspace, entry) whose calls exist in their workspace to the inbox;
/// answers each with its call's status, or `None`.
pub(crate) async fn append_events_on_sqlite(
    tx: &mut sqlx::SqliteConnection,
    items: &[(WorkspaceId, CallEvent)],
) -> StoreResult<Vec<Option<CallStatus>>> {
    let owners: Vec<[String; 2]> = items
        .iter()
        .map(|(workspace, event)| [hex(event.call_id.as_uuid()), hex(workspace.as_uuid())])
        .collect();
    let found: Vec<(i64, String)> =
        sqlx::query_as(BATCH_STATUSES).bind(Json(&owners)).fetch_all(&mut *tx).await?;
    let mut statuses = vec![None; items.len()];
    for (index, status) in found {
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| statuses.get_mut(i)) {
            *slot = Some(parse_status(&status)?);
        }
    }
    let events: Vec<CallEvent> = items
        .iter()
        .zip(&statuses)
        .filter(|(_, status)| status.is_some())
        .map(|((_, event), _)| event.clone())
        .collect();
    insert_events_in_bulk!(tx, &events, false, "call_events_inbox");
    Ok(statuses)
}

fn hex(id: &uuid::Uuid) -> String {
    id.simple().to_string()
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
