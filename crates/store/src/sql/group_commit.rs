//! Group commit for SQLite call writes (PERF-1). Every commit costs an fsync, and a disk
//! does a few thousand of those a second; so concurrent call writes queue here, one task
//! runs whatever has queued in one transaction (each write in its own savepoint, so one
//! failure does not undo the others), commits once, and only then answers each writer.
//! An answer still means "durably committed"; under load, many share one fsync. A batch of
//! timeline entries alone goes to the appender's own connection (`sqlite_appender`), which
//! writes it while this holds the write pool's connection.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use callbase_domain::call::{
    Call, CallCommand, CallEvent, CallReport, CallStart, CallStatus, apply,
};
use callbase_domain::{CallId, WorkspaceId};
use sqlx::pool::PoolConnection;
use sqlx::{Acquire, AssertSqlSafe, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::call_rows::{CALL_COLUMNS, CallRow};
use super::calls::{command_on_sqlite, create_on_sqlite, report_on_sqlite};
use super::import::{EVENTS_PER_STATEMENT, insert_events_in_bulk};
use super::report_batch::{ReportJob, report_batch_on_sqlite};
use super::sqlite_appender::SqliteAppender;
use super::timeline_inbox::{self, FOLD_AT, append_events_on_sqlite};
use crate::{Commanded, Reported, StoreError, StoreResult};

/// Most writes per transaction; more wait for the next one.
const MAX_BATCH: usize = 512;
const QUEUE: usize = 4096;
/// A quiet spell this long folds the timeline inbox.
const FOLD_WHEN_IDLE: Duration = Duration::from_millis(250);
/// The longest the committer keeps the write connection from other writers.
const HOLD_AT_MOST: Duration = Duration::from_millis(20);

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
    Report {
        workspace: WorkspaceId,
        report: Box<CallReport>,
        start: Box<CallStart>,
        reply: oneshot::Sender<StoreResult<Reported>>,
    },
    /// A timeline entry that changes nothing on its call (`append_event`).
    Append {
        workspace: WorkspaceId,
        event: CallEvent,
        reply: oneshot::Sender<StoreResult<Option<CallStatus>>>,
    },
}

/// What the committer is asked to do.
enum Request {
    Write(Job),
    /// Fold the timeline inbox, after the writes of its batch.
    Fold(FoldReply),
}

type FoldReply = oneshot::Sender<StoreResult<u64>>;

/// A finished job waiting for the commit before it is answered.
enum Done {
    Create(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
    Command(oneshot::Sender<StoreResult<Option<Commanded>>>, Box<StoreResult<Option<Commanded>>>),
    Report(oneshot::Sender<StoreResult<Reported>>, Box<StoreResult<Reported>>),
    Append(AppendReply, StoreResult<Option<CallStatus>>),
}

#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    requests: mpsc::Sender<Request>,
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

/// Each of many waiters on one failure gets its own copy of the reason.
fn shared_failure(reason: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(reason.to_string()))
}

fn commit_failed(err: &sqlx::Error) -> StoreError {
    shared_failure(format_args!("commit failed: {err}"))
}

impl GroupCommit {
    /// Starts the committer on `pool` (the one-connection write pool); batches of timeline
    /// entries alone go through `appender` where there is one.
    pub(crate) fn start(pool: SqlitePool, appender: Option<SqliteAppender>) -> Self {
        let (requests, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, appender, queue));
        Self { requests }
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
        self.requests.send(Request::Write(job)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub(crate) async fn report(
        &self,
        workspace: WorkspaceId,
        report: &CallReport,
        start: &CallStart,
    ) -> StoreResult<Reported> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Report {
            workspace,
            report: Box::new(report.clone()),
            start: Box::new(start.clone()),
            reply,
        };
        self.requests.send(Request::Write(job)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub(crate) async fn append(
        &self,
        workspace: WorkspaceId,
        event: &CallEvent,
    ) -> StoreResult<Option<CallStatus>> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Append { workspace, event: event.clone(), reply };
        self.requests.send(Request::Write(job)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Folds the timeline inbox into `call_events` once the writes queued before it commit.
    pub(crate) async fn fold(&self) -> StoreResult<u64> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Fold(reply)).await.map_err(|_| stopped())?;
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
        self.requests.send(Request::Write(job)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(
    pool: SqlitePool,
    appender: Option<SqliteAppender>,
    mut queue: mpsc::Receiver<Request>,
) {
    // Entries in the timeline inbox, as far as this run knows: an earlier run may have left
    // some, so the first quiet spell looks.
    let mut unfolded: usize = 1;
    // The write connection, kept from one batch to the next while more wait: handing it
    // back to the pool and taking it again is a trip through the server's busy runtime.
    let mut held: Option<(PoolConnection<Sqlite>, Instant)> = None;
    loop {
        let next = if unfolded > 0 {
            match tokio::time::timeout(FOLD_WHEN_IDLE, queue.recv()).await {
                Ok(next) => next,
                Err(_quiet) => {
                    held = None;
                    fold_logged(&pool, unfolded).await;
                    unfolded = 0;
                    continue;
                }
            }
        } else {
            queue.recv().await
        };
        let Some(first) = next else { break };
        let (jobs, folds) = split(first, &mut queue);
        unfolded += jobs.iter().filter(|job| matches!(job, Job::Append { .. })).count();
        if !jobs.is_empty() {
            let connection = match held.take() {
                Some(held) => Ok(held),
                None => pool.acquire().await.map(|connection| (connection, Instant::now())),
            };
            match connection {
                Ok((mut connection, since)) => {
                    match commit_batch(&mut connection, appender.as_ref(), jobs).await {
                        Ok(done) => answer(done, None),
                        Err((done, err)) => answer(done, Some(&err)),
                    }
                    if !queue.is_empty() && since.elapsed() < HOLD_AT_MOST {
                        held = Some((connection, since));
                    }
                }
                Err(err) => answer(jobs.into_iter().map(unrun).collect(), Some(&err)),
            }
        }
        if !folds.is_empty() {
            held = None;
            if fold_and_answer(&pool, folds).await {
                unfolded = 0;
            }
        } else if unfolded >= FOLD_AT {
            held = None;
            fold_logged(&pool, unfolded).await;
            unfolded = 0;
        }
    }
}

/// `first` and whatever else has queued (up to a batch): the writes, and the folds asked for.
fn split(first: Request, queue: &mut mpsc::Receiver<Request>) -> (Vec<Job>, Vec<FoldReply>) {
    let mut jobs = Vec::new();
    let mut folds = Vec::new();
    let mut next = Some(first);
    while let Some(request) = next {
        match request {
            Request::Write(job) => jobs.push(job),
            Request::Fold(reply) => folds.push(reply),
        }
        next = if jobs.len() + folds.len() < MAX_BATCH { queue.try_recv().ok() } else { None };
    }
    tracing::trace!(size = jobs.len(), "group commit");
    (jobs, folds)
}

/// Folds the timeline inbox and tells each asker; true when it worked.
async fn fold_and_answer(pool: &SqlitePool, folds: Vec<FoldReply>) -> bool {
    let folded = timeline_inbox::fold(pool).await;
    for reply in folds {
        let copy = folded
            .as_ref()
            .map(|moved| *moved)
            .map_err(|err| shared_failure(format_args!("fold failed: {err}")));
        drop(reply.send(copy));
    }
    folded.is_ok()
}

/// Folds the timeline inbox. A failure is logged and left for later appends to retry
/// (before migrations ran, the inbox does not exist yet).
async fn fold_logged(pool: &SqlitePool, unfolded: usize) {
    match timeline_inbox::fold(pool).await {
        Ok(moved) => tracing::debug!(moved, "timeline inbox folded"),
        Err(err) if err.to_string().contains("no such table") => {}
        Err(err) => tracing::warn!(error = %err, unfolded, "folding the timeline inbox failed"),
    }
}

/// Runs `jobs` in one transaction. On a failed commit, every job is answered with it.
async fn commit_batch(
    connection: &mut PoolConnection<Sqlite>,
    appender: Option<&SqliteAppender>,
    jobs: Vec<Job>,
) -> Result<Vec<Done>, (Vec<Done>, sqlx::Error)> {
    let lean_only = jobs.iter().all(|job| matches!(job, Job::Append { .. }));
    // The appender writes while `connection` is held, so no other write overlaps.
    if let (true, Some(appender)) = (lean_only, appender) {
        return Ok(run_lean_appends_on(appender, jobs).await);
    }
    // Timeline entries alone that fit one statement need no transaction: the insert (which
    // also checks their calls and returns their statuses) commits and syncs by itself, all
    // or nothing, one round trip to SQLite's thread instead of four.
    if lean_only && jobs.len() <= EVENTS_PER_STATEMENT {
        return Ok(run_lean_appends(connection, jobs).await);
    }
    let mut tx = match connection.begin().await {
        Ok(tx) => tx,
        Err(err) => return Err((jobs.into_iter().map(unrun).collect(), err)),
    };
    let mut done = Vec::with_capacity(jobs.len());
    // Timeline entries (the bulk of provider traffic) change no call: one read of their
    // calls and one insert serve them all. Everything else runs one by one.
    let (lean, rest): (Vec<Job>, Vec<Job>) =
        jobs.into_iter().partition(|job| matches!(job, Job::Append { .. }));
    let (appends, rest): (Vec<Job>, Vec<Job>) = rest.into_iter().partition(is_append);
    let (reports, others): (Vec<Job>, Vec<Job>) =
        rest.into_iter().partition(|job| matches!(job, Job::Report { .. }));
    if !lean.is_empty() {
        done.extend(run_lean_appends_in_savepoint(&mut tx, lean).await);
    }
    if !reports.is_empty() {
        done.extend(run_reports(&mut tx, reports).await);
    }
    for job in others {
        done.push(run_in_savepoint(&mut tx, job).await);
    }
    if !appends.is_empty() {
        done.extend(run_appends(&mut tx, appends).await);
    }
    match tx.commit().await {
        Ok(()) => Ok(done),
        Err(err) => Err((done, err)),
    }
}

/// Runs the provider reports of `jobs` (all `Job::Report`) as one batch in a savepoint; when
/// the batch fails, one by one, each in its own.
async fn run_reports(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, jobs: Vec<Job>) -> Vec<Done> {
    let batched: StoreResult<Vec<Reported>> = async {
        let batch: Vec<ReportJob<'_>> = jobs
            .iter()
            .filter_map(|job| match job {
                Job::Report { workspace, report, start, .. } => {
                    Some(ReportJob { workspace: *workspace, report, start })
                }
                _ => None,
            })
            .collect();
        let mut savepoint = tx.begin().await?;
        match report_batch_on_sqlite(&mut savepoint, &batch).await {
            Ok(answers) => {
                savepoint.commit().await?;
                Ok(answers)
            }
            Err(err) => {
                savepoint.rollback().await?;
                Err(err)
            }
        }
    }
    .await;
    match batched {
        Ok(answers) => jobs
            .into_iter()
            .zip(answers)
            .filter_map(|(job, answer)| match job {
                Job::Report { reply, .. } => Some(Done::Report(reply, Box::new(Ok(answer)))),
                _ => None,
            })
            .collect(),
        Err(err) => {
            tracing::debug!(error = %err, reports = jobs.len(), "report batch failed; one by one");
            let mut done = Vec::with_capacity(jobs.len());
            for job in jobs {
                done.push(run_in_savepoint(tx, job).await);
            }
            done
        }
    }
}

fn is_append(job: &Job) -> bool {
    matches!(job, Job::Command { command: CallCommand::Event { .. }, .. })
}

/// The calls with these ids, by id.
async fn load_calls(
    tx: &mut sqlx::SqliteConnection,
    ids: &[CallId],
) -> StoreResult<HashMap<CallId, Call>> {
    let mut calls = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let sql = format!("SELECT {CALL_COLUMNS} FROM calls c WHERE c.id IN ({placeholders})");
        let mut query = sqlx::query_as::<_, CallRow>(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id.as_uuid());
        }
        for row in query.fetch_all(&mut *tx).await? {
            let call = Call::try_from(row)?;
            calls.insert(call.id, call);
        }
    }
    Ok(calls)
}

/// Appends the timeline entries of `jobs` (all `CallCommand::Event`) in one savepoint.
async fn run_appends(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, jobs: Vec<Job>) -> Vec<Done> {
    let mut work = Vec::with_capacity(jobs.len());
    let mut replies = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Job::Command { workspace, id, command, actor, reply } = job {
            work.push((workspace, id, command, actor));
            replies.push(reply);
        }
    }
    let outcome: StoreResult<Vec<Option<Commanded>>> = async {
        let mut savepoint = tx.begin().await?;
        let ids: Vec<CallId> = work.iter().map(|(_, id, _, _)| *id).collect();
        let calls = load_calls(&mut savepoint, &ids).await?;
        let mut events = Vec::with_capacity(work.len());
        let mut results = Vec::with_capacity(work.len());
        for (workspace, id, command, actor) in work {
            let Some(mut call) = calls.get(&id).filter(|c| c.workspace_id == workspace).cloned()
            else {
                results.push(None);
                continue;
            };
            let applied = apply(&mut call, command, actor.as_deref())?;
            events.extend(applied.events.iter().cloned());
            results.push(Some(Commanded { call, events: applied.events, leg: None }));
        }
        insert_events_in_bulk!(savepoint, &events, false);
        savepoint.commit().await?;
        Ok(results)
    }
    .await;
    match outcome {
        Ok(results) => replies
            .into_iter()
            .zip(results)
            .map(|(reply, result)| Done::Command(reply, Box::new(Ok(result))))
            .collect(),
        // Nothing of these was written; each writer learns why.
        Err(err) => replies
            .into_iter()
            .map(|reply| Done::Command(reply, Box::new(Err(shared_failure(&err)))))
            .collect(),
    }
}

/// Appends the timeline entries of `jobs` (all `Job::Append`) through `connection`, one
/// statement per `EVENTS_PER_STATEMENT`. A failure answers each of them with it.
async fn run_lean_appends(connection: &mut sqlx::SqliteConnection, jobs: Vec<Job>) -> Vec<Done> {
    let (items, replies) = lean_appends(jobs);
    let outcome = append_events_on_sqlite(connection, &items).await;
    answers_to_lean_appends(replies, outcome)
}

/// Appends the timeline entries of `jobs` (all `Job::Append`) through `appender`, in one
/// transaction of its own. A failure answers each of them with it.
async fn run_lean_appends_on(appender: &SqliteAppender, jobs: Vec<Job>) -> Vec<Done> {
    let (items, replies) = lean_appends(jobs);
    let outcome = appender.append(items).await;
    answers_to_lean_appends(replies, outcome)
}

type AppendReply = oneshot::Sender<StoreResult<Option<CallStatus>>>;

/// The entries of `jobs` (all `Job::Append`) with their workspaces, and who waits for each.
fn lean_appends(jobs: Vec<Job>) -> (Vec<(WorkspaceId, CallEvent)>, Vec<AppendReply>) {
    let mut items = Vec::with_capacity(jobs.len());
    let mut replies = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Job::Append { workspace, event, reply } = job {
            items.push((workspace, event));
            replies.push(reply);
        }
    }
    (items, replies)
}

/// Each waiter's status, or the batch's failure for all of them.
fn answers_to_lean_appends(
    replies: Vec<AppendReply>,
    outcome: StoreResult<Vec<Option<CallStatus>>>,
) -> Vec<Done> {
    match outcome {
        Ok(statuses) => replies
            .into_iter()
            .zip(statuses)
            .map(|(reply, status)| Done::Append(reply, Ok(status)))
            .collect(),
        Err(err) => replies
            .into_iter()
            .map(|reply| Done::Append(reply, Err(shared_failure(&err))))
            .collect(),
    }
}

/// `run_lean_appends` inside a savepoint of `tx`, undone when they failed (an insert of
/// more than one statement may have written part of them).
async fn run_lean_appends_in_savepoint(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    jobs: Vec<Job>,
) -> Vec<Done> {
    let mut savepoint = match tx.begin().await {
        Ok(savepoint) => savepoint,
        Err(err) => {
            return jobs
                .into_iter()
                .map(|job| with_error(unrun(job), shared_failure(&err)))
                .collect();
        }
    };
    let done = run_lean_appends(&mut savepoint, jobs).await;
    let failed = done.iter().all(|d| matches!(d, Done::Append(_, Err(_))));
    let closed = if failed { savepoint.rollback().await } else { savepoint.commit().await };
    match closed {
        Ok(()) => done,
        Err(err) => done.into_iter().map(|d| with_error(d, shared_failure(&err))).collect(),
    }
}

/// A job that never ran, waiting for its (failure) answer.
fn unrun(job: Job) -> Done {
    match job {
        Job::Create { reply, .. } => Done::Create(reply, Err(stopped())),
        Job::Command { reply, .. } => Done::Command(reply, Box::new(Err(stopped()))),
        Job::Report { reply, .. } => Done::Report(reply, Box::new(Err(stopped()))),
        Job::Append { reply, .. } => Done::Append(reply, Err(stopped())),
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
        Job::Report { workspace, report, start, reply } => {
            let result = report_on_sqlite(&mut savepoint, workspace, &report, &start).await;
            Done::Report(reply, Box::new(result))
        }
        Job::Append { workspace, event, reply } => {
            let result = append_events_on_sqlite(&mut savepoint, &[(workspace, event)]).await;
            Done::Append(reply, result.map(|s| s.into_iter().next().flatten()))
        }
    };
    let ok = match &done {
        Done::Create(_, result) => result.is_ok(),
        Done::Command(_, result) => result.is_ok(),
        Done::Report(_, result) => result.is_ok(),
        Done::Append(_, result) => result.is_ok(),
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
        Done::Report(reply, _) => Done::Report(reply, Box::new(Err(err))),
        Done::Append(reply, _) => Done::Append(reply, Err(err)),
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
            (Done::Report(reply, result), None) => drop(reply.send(*result)),
            (Done::Report(reply, _), Some(err)) => drop(reply.send(Err(commit_failed(err)))),
            (Done::Append(reply, result), None) => drop(reply.send(result)),
            (Done::Append(reply, _), Some(err)) => drop(reply.send(Err(commit_failed(err)))),
        }
    }
}
