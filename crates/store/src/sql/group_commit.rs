//! Group commit for SQLite call writes (PERF-1). Every commit costs an fsync, and a disk
//! does a few thousand of those a second; so concurrent call writes queue here, one task
//! runs whatever has queued in one transaction (each write in its own savepoint, so one
//! failure does not undo the others), commits once, and only then answers each writer.
//! An answer still means "durably committed"; under load, many share one fsync.

use callbase_domain::call::{Call, CallCommand, CallEvent};
use callbase_domain::{CallId, WorkspaceId};
use sqlx::{Acquire, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::calls::{command_on_sqlite, create_on_sqlite};
use crate::{Commanded, StoreError, StoreResult};

/// Most writes per transaction; more wait for the next one.
const MAX_BATCH: usize = 512;
const QUEUE: usize = 4096;

enum Job {
    Create {
        call: Box<Call>,
        fingerprint: Option<String>,
        events: Vec<CallEvent>,
        reply: oneshot::Sender<StoreResult<()>>,
    },
    Command {
        workspace: WorkspaceId,
        id: CallId,
        command: CallCommand,
        actor: Option<String>,
        reply: oneshot::Sender<StoreResult<Option<Commanded>>>,
    },
}

/// A finished job waiting for the commit before it is answered.
enum Done {
    Create(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
    Command(oneshot::Sender<StoreResult<Option<Commanded>>>, Box<StoreResult<Option<Commanded>>>),
}

#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

/// Each waiter of a failed commit gets its own copy of the reason.
fn commit_failed(err: &sqlx::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("commit failed: {err}")))
}

impl GroupCommit {
    /// Starts the committer on `pool` (the one-connection write pool).
    pub(crate) fn start(pool: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, queue));
        Self { jobs }
    }

    pub(crate) async fn create(
        &self,
        call: &Call,
        fingerprint: Option<&str>,
        events: &[CallEvent],
    ) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Create {
            call: Box::new(call.clone()),
            fingerprint: fingerprint.map(str::to_owned),
            events: events.to_vec(),
            reply,
        };
        self.jobs.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub(crate) async fn command(
        &self,
        workspace: WorkspaceId,
        id: CallId,
        command: CallCommand,
        actor: Option<&str>,
    ) -> StoreResult<Option<Commanded>> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Command { workspace, id, command, actor: actor.map(str::to_owned), reply };
        self.jobs.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        tracing::trace!(size = jobs.len(), "group commit");
        match commit_batch(&pool, jobs).await {
            Ok(done) => answer(done, None),
            Err((done, err)) => answer(done, Some(&err)),
        }
    }
}

/// Runs `jobs` in one transaction. On a failed commit, every job is answered with it.
async fn commit_batch(
    pool: &SqlitePool,
    jobs: Vec<Job>,
) -> Result<Vec<Done>, (Vec<Done>, sqlx::Error)> {
    let mut connection = match pool.acquire().await {
        Ok(connection) => connection,
        Err(err) => return Err((jobs.into_iter().map(unrun).collect(), err)),
    };
    let mut tx = match connection.begin().await {
        Ok(tx) => tx,
        Err(err) => return Err((jobs.into_iter().map(unrun).collect(), err)),
    };
    let mut done = Vec::with_capacity(jobs.len());
    for job in jobs {
        done.push(run_in_savepoint(&mut tx, job).await);
    }
    match tx.commit().await {
        Ok(()) => Ok(done),
        Err(err) => Err((done, err)),
    }
}

/// A job that never ran, waiting for its (failure) answer.
fn unrun(job: Job) -> Done {
    match job {
        Job::Create { reply, .. } => Done::Create(reply, Err(stopped())),
        Job::Command { reply, .. } => Done::Command(reply, Box::new(Err(stopped()))),
    }
}

async fn run_in_savepoint(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, job: Job) -> Done {
    let mut savepoint = match tx.begin().await {
        Ok(savepoint) => savepoint,
        Err(err) => {
            let done = unrun(job);
            return with_error(done, StoreError::Database(err));
        }
    };
    let done = match job {
        Job::Create { call, fingerprint, events, reply } => {
            let result =
                create_on_sqlite(&mut savepoint, &call, fingerprint.as_deref(), &events).await;
            Done::Create(reply, result)
        }
        Job::Command { workspace, id, command, actor, reply } => {
            let result =
                command_on_sqlite(&mut savepoint, workspace, id, command, actor.as_deref()).await;
            Done::Command(reply, Box::new(result))
        }
    };
    let ok = match &done {
        Done::Create(_, result) => result.is_ok(),
        Done::Command(_, result) => result.is_ok(),
    };
    let closed = if ok { savepoint.commit().await } else { savepoint.rollback().await };
    match closed {
        Ok(()) => done,
        Err(err) => with_error(done, StoreError::Database(err)),
    }
}

fn with_error(done: Done, err: StoreError) -> Done {
    match done {
        Done::Create(reply, _) => Done::Create(reply, Err(err)),
        Done::Command(reply, _) => Done::Command(reply, Box::new(Err(err))),
    }
}

/// Answers every job: its own result, or the commit's failure.
fn answer(done: Vec<Done>, commit_error: Option<&sqlx::Error>) {
    for job in done {
        // A writer that stopped waiting (its request was cancelled) needs no answer.
        match (job, commit_error) {
            (Done::Create(reply, result), None) => drop(reply.send(result)),
            (Done::Command(reply, result), None) => drop(reply.send(*result)),
            (Done::Create(reply, _), Some(err)) => drop(reply.send(Err(commit_failed(err)))),
            (Done::Command(reply, _), Some(err)) => drop(reply.send(Err(commit_failed(err)))),
        }
    }
}
