//! Timeline appends on PostgreSQL, batched (PERF-1): concurrent `append_event`s queue here and
//! one task writes whatever has queued with a single statement, so many share one commit
//! (one WAL flush) instead of each waiting for its own. Answered only after that commit.

use std::collections::HashMap;

use callbase_domain::call::{CallEvent, CallStatus};
use callbase_domain::{CallId, WorkspaceId};
use sqlx::{AssertSqlSafe, PgPool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::call_rows::parse_status;
use crate::{StoreError, StoreResult};

/// Most entries per statement (7 parameters each, far under PostgreSQL's 65,535).
const MAX_BATCH: usize = 512;
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<StoreResult<Option<CallStatus>>>;

#[derive(Debug, Clone)]
pub(crate) struct PgAppends {
    jobs: mpsc::Sender<(WorkspaceId, CallEvent, Reply)>,
}

impl PgAppends {
    pub(crate) fn start(pool: PgPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, queue));
        Self { jobs }
    }

    pub(crate) async fn append(
        &self,
        workspace: WorkspaceId,
        event: &CallEvent,
    ) -> StoreResult<Option<CallStatus>> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Database(sqlx::Error::PoolClosed);
        self.jobs.send((workspace, event.clone(), reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: PgPool, mut queue: mpsc::Receiver<(WorkspaceId, CallEvent, Reply)>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (items, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|(workspace, event, reply)| ((workspace, event), reply)).unzip();
        match append_batch(&pool, &items).await {
            Ok(statuses) => {
                for (reply, status) in replies.into_iter().zip(statuses) {
                    // A writer that stopped waiting needs no answer.
                    drop(reply.send(Ok(status)));
                }
            }
            Err(err) => {
                let reason = err.to_string();
                for reply in replies {
                    drop(
                        reply
                            .send(Err(StoreError::Database(sqlx::Error::Protocol(reason.clone())))),
                    );
                }
            }
        }
    }
}

/// `($1::uuid, …, $7::jsonb), (…)`: typed, so PostgreSQL never has to guess from a VALUES list.
fn values_sql(rows: usize) -> String {
    const TYPES: [&str; 7] = ["uuid", "uuid", "uuid", "text", "int8", "text", "jsonb"];
    let mut sql = String::with_capacity(rows * 80);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (column, kind) in TYPES.iter().enumerate() {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}::{kind}", row * TYPES.len() + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// Inserts the entries whose calls exist in their workspace, in one statement (one commit),
/// and answers each with its call's status, or `None`.
pub(crate) async fn append_batch(
    pool: &PgPool,
    items: &[(WorkspaceId, CallEvent)],
) -> StoreResult<Vec<Option<CallStatus>>> {
    let sql = format!(
        "WITH v (id, call_id, workspace_id, type, at, actor, data) AS (VALUES {}), \
         c AS (SELECT id, workspace_id, status FROM calls WHERE id IN (SELECT call_id FROM v)), \
         added AS (INSERT INTO call_events (id, call_id, type, at, actor, data) \
             SELECT v.id, v.call_id, v.type, v.at, v.actor, v.data FROM v \
             JOIN c ON c.id = v.call_id AND c.workspace_id = v.workspace_id) \
         SELECT id, workspace_id, status FROM c",
        values_sql(items.len())
    );
    let mut query = sqlx::query_as::<_, (Uuid, Uuid, String)>(AssertSqlSafe(sql));
    for (workspace, event) in items {
        query = query
            .bind(Uuid::from(event.id))
            .bind(Uuid::from(event.call_id))
            .bind(Uuid::from(*workspace))
            .bind(event.kind.as_str())
            .bind(callbase_domain::to_micros(event.at))
            .bind(event.actor.as_deref())
            .bind(sqlx::types::Json(&event.data));
    }
    let mut calls = HashMap::new();
    for (id, workspace, status) in query.fetch_all(pool).await? {
        calls.insert(CallId::from(id), (WorkspaceId::from(workspace), parse_status(&status)?));
    }
    Ok(items
        .iter()
        .map(|(workspace, event)| match calls.get(&event.call_id) {
            Some((owner, status)) if owner == workspace => Some(*status),
            _ => None,
        })
        .collect())
}
