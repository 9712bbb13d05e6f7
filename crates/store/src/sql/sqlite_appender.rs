//! A thread that owns its own SQLite connection and appends timeline entries to the inbox
//! (PERF-1). Through sqlx every statement is a round trip to the connection's thread and
//! every returned row another message; here a whole batch is one message each way, run
//! with prepared statements in one transaction.
//!
//! SQLite still has one writer at a time: only the group committer sends batches, and it
//! holds the write pool's one connection while a batch runs, so no sqlx write overlaps.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use callbase_domain::WorkspaceId;
use callbase_domain::call::{CallEvent, CallStatus};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::call_rows::parse_status;
use crate::{StoreError, StoreResult};

/// A call's status, if the call is in the workspace.
const STATUS_OF_CALL: &str = "SELECT status FROM calls WHERE id = ?1 AND workspace_id = ?2";

const INSERT_INTO_INBOX: &str = "INSERT INTO call_events_inbox (id, call_id, type, at, actor, data) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

type Statuses = StoreResult<Vec<Option<CallStatus>>>;

struct Batch {
    items: Vec<(WorkspaceId, CallEvent)>,
    reply: oneshot::Sender<Statuses>,
}

#[derive(Debug, Clone)]
pub(crate) struct SqliteAppender {
    batches: mpsc::Sender<Batch>,
}

impl SqliteAppender {
    /// Opens the database file at `path` (created and in WAL mode already) on a new thread.
    /// The thread ends when the last handle is dropped.
    pub(crate) fn open(path: &Path) -> StoreResult<Self> {
        let connection = open_connection(path)?;
        let (batches, queue) = mpsc::channel::<Batch>();
        std::thread::Builder::new()
            .name("callbase-appender".into())
            .spawn(move || serve(connection, &queue))
            .map_err(|err| thread_failure(&err))?;
        Ok(Self { batches })
    }

    /// Appends `items` whose calls exist in their workspace, in one transaction; answers
    /// each with its call's status, or `None`. All or nothing.
    pub(crate) async fn append(&self, items: Vec<(WorkspaceId, CallEvent)>) -> Statuses {
        let (reply, answer) = oneshot::channel();
        self.batches.send(Batch { items, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    // FULL: a committed batch survives power loss, as each writer's 2xx promises.
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "temp_store", "memory")?;
    connection.set_prepared_statement_cache_capacity(8);
    Ok(connection)
}

fn serve(mut connection: Connection, queue: &mpsc::Receiver<Batch>) {
    while let Ok(Batch { items, reply }) = queue.recv() {
        let outcome = append(&mut connection, &items);
        drop(reply.send(outcome));
    }
}

fn append(connection: &mut Connection, items: &[(WorkspaceId, CallEvent)]) -> Statuses {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut statuses = Vec::with_capacity(items.len());
    {
        let mut status_of = tx.prepare_cached(STATUS_OF_CALL)?;
        let mut insert = tx.prepare_cached(INSERT_INTO_INBOX)?;
        for (workspace, event) in items {
            let call_id = event.call_id.as_uuid().as_bytes();
            let status: Option<String> = status_of
                .query_row(params![call_id, workspace.as_uuid().as_bytes()], |row| row.get(0))
                .optional()?;
            let Some(status) = status else {
                statuses.push(None);
                continue;
            };
            insert.execute(params![
                event.id.as_uuid().as_bytes(),
                call_id,
                event.kind.as_str(),
                callbase_domain::to_micros(event.at),
                event.actor.as_deref(),
                event.data.to_string(),
            ])?;
            statuses.push(Some(parse_status(&status)?));
        }
    }
    tx.commit()?;
    Ok(statuses)
}

fn thread_failure(err: &std::io::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("starting the appender thread: {err}")))
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}
