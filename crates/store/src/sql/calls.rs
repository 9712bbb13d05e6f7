//! Calls: idempotent logging, lifecycle commands, edits and deletes, each with its timeline
//! entries and rollup changes in one transaction; filtered keyset listing.

use async_trait::async_trait;
use callbase_domain::call::{
    Call, CallCommand, CallEvent, CallReport, CallStart, CallStatus, Counters, ReportedCall,
    RollupKey, Source, apply, apply_report, rollup_delta, started_by,
};
use callbase_domain::{CallId, Timestamp, WorkspaceId, now};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::insert_audit;
use super::blocklist::blocked_numbers;
use super::call_query::IndexPage;
use super::call_rows::{
    CALL_COLUMNS, CallRow, EVENT_COLUMNS, EventRow, INSERT_CALL, UPDATE_CALL, bind_call,
    insert_events, sort_key,
};
use super::pg_appends::append_batch;
use super::rollups::{apply_rollups, workspace_time_zone};
use super::rows::convert_all;
use super::select::{Arg, bind_args};
use super::timeline_inbox::{DROP_INBOX_OF_CALL, append_events_on_sqlite, timeline_sql};
use super::{Pools, SqlStore, read, write};
use crate::{
    AuditEntry, CallCursor, CallFilter, CallPage, CallPageRequest, CallPatch, CallSort, CallStore,
    Commanded, GroupKey, Logged, Reported, StatsGroup, StoreError, StoreResult,
};

/// Receipts deleted per statement: each holds the writer briefly.
const RECEIPTS_PER_DELETE: i64 = 10_000;

/// Inserts `$call` with its tags, events and rollup contribution through `$tx`.
macro_rules! insert_call {
    ($tx:expr, $call:expr, $fingerprint:expr, $events:expr, $tz:expr) => {{
        let call: &Call = $call;
        let fingerprint: Option<&str> = $fingerprint;
        bind_call!(sqlx::query(INSERT_CALL), call).bind(fingerprint).execute(&mut *$tx).await?;
        replace_tags!($tx, call);
        insert_events!($tx, $events)?;
        apply_rollups!($tx, call.workspace_id, &rollup_delta(None, Some(call), $tz))?;
    }};
}

/// Logs `$call` inside `$tx`; evaluates to `StoreResult<()>`.
macro_rules! create_in {
    ($tx:expr, $call:expr, $fingerprint:expr, $events:expr) => {
        async {
            let call: &Call = $call;
            let tz = workspace_time_zone!($tx, call.workspace_id)?;
            insert_call!($tx, call, $fingerprint, $events, &tz);
            Ok::<(), StoreError>(())
        }
        .await
    };
}

/// Runs a lifecycle command inside `$tx`; evaluates to `StoreResult<Option<Commanded>>`.
macro_rules! command_in {
    ($tx:expr, $workspace:expr, $id:expr, $command:expr, $actor:expr, $lock:expr) => {
        async {
            let workspace: WorkspaceId = $workspace;
            let Some(mut call) = load_call!($tx, workspace, $id, $lock) else {
                return Ok(None);
            };
            let before = call.clone();
            let applied = apply(&mut call, $command, $actor)?;
            // Only a changed call or a new leg moves the rollups, which need the zone.
            let changed = call != before;
            if changed || applied.leg.is_some() {
                let tz = workspace_time_zone!($tx, workspace)?;
                if changed {
                    call.updated_at = now().max(before.updated_at);
                    bind_call!(sqlx::query(UPDATE_CALL), &call).execute(&mut *$tx).await?;
                    let delta = rollup_delta(Some(&before), Some(&call), &tz);
                    apply_rollups!($tx, workspace, &delta)?;
                }
                if let Some(leg) = &applied.leg {
                    insert_call!($tx, leg, None, &[] as &[CallEvent], &tz);
                }
            }
            insert_events!($tx, &applied.events)?;
            Ok::<_, StoreError>(Some(Commanded { call, events: applied.events, leg: applied.leg }))
        }
        .await
    };
}

/// Applies a provider's report inside `$tx`; evaluates to `StoreResult<Reported>`.
macro_rules! report_in {
    ($tx:expr, $workspace:expr, $report:expr, $start:expr, $lock:expr) => {
        async {
            let workspace: WorkspaceId = $workspace;
            let report: &CallReport = $report;
            let sql = format!(
                "SELECT {CALL_COLUMNS} FROM calls c WHERE c.workspace_id = $1 AND c.source = $2 \
                 AND c.external_id = $3{}",
                $lock
            );
            let row: Option<CallRow> = sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(report.source.as_str())
                .bind(report.external_id.as_str())
                .fetch_optional(&mut *$tx)
                .await?;
            let stored = row.map(Call::try_from).transpose()?;
            if let Some(stored) = &stored
                && !insert_receipt!($tx, workspace, report, stored.id)
            {
                return Ok(Reported::Duplicate(stored.clone()));
            }
            let before = stored.clone();
            let start: &CallStart = $start;
            let target = match stored {
                Some(call) => ReportedCall::Stored(call),
                None => ReportedCall::Started(flag_if_blocked!(
                    $tx,
                    workspace,
                    started_by(workspace, report, start)
                )?),
            };
            let (mut call, events) = apply_report(target, start, report);
            let tz = workspace_time_zone!($tx, workspace)?;
            let Some(before) = before else {
                insert_call!($tx, &call, None, &events, &tz);
                // A new call has seen no receipt yet.
                let _new = insert_receipt!($tx, workspace, report, call.id);
                return Ok(Reported::Created { call, events });
            };
            if call != before {
                call.updated_at = now().max(before.updated_at);
                bind_call!(sqlx::query(UPDATE_CALL), &call).execute(&mut *$tx).await?;
                apply_rollups!($tx, workspace, &rollup_delta(Some(&before), Some(&call), &tz))?;
            }
            insert_events!($tx, &events)?;
            Ok::<_, StoreError>(Reported::Updated { call, events })
        }
        .await
    };
}

/// `$call` (a `Call` a report starts) flagged `blocked` when its remote number is on the
/// do-not-call list of `$workspace` now, read through `$tx`; evaluates to
/// `StoreResult<Call>`.
macro_rules! flag_if_blocked {
    ($tx:expr, $workspace:expr, $call:expr) => {
        async {
            let mut call: Call = $call;
            if let Some(number) = call.remote_e164() {
                let listed = blocked_numbers!($tx, $workspace, &[&number], now())?;
                call.blocked |= !listed.is_empty();
            }
            Ok::<Call, StoreError>(call)
        }
        .await
    };
}

/// Records a report's receipt inside `$tx`; evaluates to false when it was there already.
macro_rules! insert_receipt {
    ($tx:expr, $workspace:expr, $report:expr, $call:expr) => {{
        let report: &CallReport = $report;
        let call: CallId = $call;
        sqlx::query(
            "INSERT INTO intake_receipts (workspace_id, source, receipt, call_id, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::from($workspace))
        .bind(report.source.as_str())
        .bind(report.receipt.as_str())
        .bind(Uuid::from(call))
        .bind(callbase_domain::to_micros(now()))
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1
    }};
}

/// Makes the `call_tags` rows of `$call` match its tags.
macro_rules! replace_tags {
    ($tx:expr, $call:expr) => {{
        let call: &Call = $call;
        sqlx::query("DELETE FROM call_tags WHERE call_id = $1")
            .bind(*call.id.as_uuid())
            .execute(&mut *$tx)
            .await?;
        let mut tags: Vec<&String> = call.tags.iter().collect();
        tags.sort();
        tags.dedup();
        for tag in tags {
            sqlx::query("INSERT INTO call_tags (workspace_id, tag, call_id) VALUES ($1, $2, $3)")
                .bind(*call.workspace_id.as_uuid())
                .bind(tag.as_str())
                .bind(*call.id.as_uuid())
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Reads a call inside `$tx`, locking its row on PostgreSQL; `$lock` is the suffix to use.
macro_rules! load_call {
    ($tx:expr, $workspace:expr, $id:expr, $lock:expr) => {{
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c WHERE c.workspace_id = $1 AND c.id = $2{}",
            $lock
        );
        let row: Option<CallRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(Uuid::from($workspace))
            .bind(Uuid::from($id))
            .fetch_optional(&mut *$tx)
            .await?;
        row.map(Call::try_from).transpose()?
    }};
}

/// The two call writes the SQLite group committer batches, on its open transaction.
pub(crate) async fn create_on_sqlite(
    tx: &mut sqlx::SqliteConnection,
    call: &Call,
    fingerprint: Option<&str>,
    events: &[CallEvent],
) -> StoreResult<()> {
    create_in!(tx, call, fingerprint, events)
}

pub(crate) async fn report_on_sqlite(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    report: &CallReport,
    start: &CallStart,
) -> StoreResult<Reported> {
    report_in!(tx, workspace, report, start, "")
}

pub(crate) async fn command_on_sqlite(
    tx: &mut sqlx::SqliteConnection,
    workspace: WorkspaceId,
    id: CallId,
    command: CallCommand,
    actor: Option<&str>,
) -> StoreResult<Option<Commanded>> {
    command_in!(tx, workspace, id, command, actor, "")
}

#[derive(sqlx::FromRow)]
struct FingerprintedRow {
    #[sqlx(flatten)]
    call: CallRow,
    fingerprint: Option<String>,
}

impl SqlStore {
    /// `FOR UPDATE` where the database has row locks; SQLite's single writer needs none.
    fn lock_suffix(&self) -> &'static str {
        match self.pools {
            Pools::Sqlite { .. } => "",
            Pools::Postgres(_) => " FOR UPDATE",
        }
    }

    async fn logged_by_external_id(&self, call: &Call) -> StoreResult<Option<Logged>> {
        let sql = format!(
            "SELECT {CALL_COLUMNS}, c.fingerprint FROM calls c \
             WHERE c.workspace_id = $1 AND c.source = $2 AND c.external_id = $3"
        );
        let row: Option<FingerprintedRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(*call.workspace_id.as_uuid())
                .bind(call.source.as_str())
                .bind(call.external_id.as_deref())
                .fetch_optional(pool)
                .await
        })?;
        let Some(row) = row else { return Ok(None) };
        let call = Call::try_from(row.call)?;
        Ok(Some(Logged::Existing { call, fingerprint: row.fingerprint }))
    }

    /// Inserts a new call; `Ok(false)` when its external id is taken.
    async fn insert_new_call(
        &self,
        call: &Call,
        fingerprint: Option<&str>,
        events: &[CallEvent],
    ) -> StoreResult<bool> {
        let result: StoreResult<()> = match &self.group {
            Some(group) => group.create(call, fingerprint, events).await,
            None => write!(self, pool => async {
                let mut tx = pool.begin().await?;
                create_in!(tx, call, fingerprint, events)?;
                tx.commit().await?;
                Ok(())
            }
            .await),
        };
        match result {
            Ok(()) => Ok(true),
            Err(StoreError::Database(err))
                if err.as_database_error().is_some_and(|db| db.is_unique_violation()) =>
            {
                Ok(false)
            }
            Err(err) => Err(err),
        }
    }
}

#[async_trait]
impl CallStore for SqlStore {
    #[tracing::instrument(skip_all, fields(call = %call.id))]
    async fn create_call(
        &self,
        call: &Call,
        fingerprint: Option<&str>,
        events: &[CallEvent],
    ) -> StoreResult<Logged> {
        if call.external_id.is_some()
            && let Some(existing) = self.logged_by_external_id(call).await?
        {
            return Ok(existing);
        }
        if self.insert_new_call(call, fingerprint, events).await? {
            return Ok(Logged::Created(call.clone()));
        }
        // Lost a race with the same external id: the winner is the call.
        self.logged_by_external_id(call)
            .await?
            .ok_or(StoreError::Conflict(crate::ConflictKind::Call))
    }

    #[tracing::instrument(skip_all, fields(source = %report.source))]
    async fn report_call(
        &self,
        workspace: WorkspaceId,
        report: &CallReport,
        start: &CallStart,
    ) -> StoreResult<Reported> {
        if let Some(group) = &self.group {
            return group.report(workspace, report, start).await;
        }
        let lock = self.lock_suffix();
        // Two first reports about one call may race to create it: the loser's transaction
        // fails on the external id and, run again, finds the winner's call.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = write!(self, pool => async {
                let mut tx = pool.begin().await?;
                let outcome = report_in!(tx, workspace, report, start, lock)?;
                tx.commit().await?;
                Ok(outcome)
            }
            .await);
            match outcome {
                Err(StoreError::Database(err))
                    if attempts < 3
                        && err.as_database_error().is_some_and(|db| db.is_unique_violation()) => {}
                outcome => return outcome,
            }
        }
    }

    async fn forget_receipts(&self, before: Timestamp) -> StoreResult<u64> {
        let mut forgotten = 0;
        loop {
            let deleted = write!(self, pool => {
                sqlx::query(
                    "DELETE FROM intake_receipts WHERE (workspace_id, source, receipt) IN \
                     (SELECT workspace_id, source, receipt FROM intake_receipts \
                      WHERE received_at < $1 ORDER BY received_at LIMIT $2)",
                )
                .bind(callbase_domain::to_micros(before))
                .bind(RECEIPTS_PER_DELETE)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            })?;
            forgotten += deleted;
            if deleted < RECEIPTS_PER_DELETE.unsigned_abs() {
                return Ok(forgotten);
            }
        }
    }

    async fn claim_receipt(
        &self,
        workspace: WorkspaceId,
        source: &Source,
        receipt: &str,
        call: CallId,
    ) -> StoreResult<bool> {
        let inserted = write!(self, pool => {
            sqlx::query(
                "INSERT INTO intake_receipts (workspace_id, source, receipt, call_id, received_at) \
                 SELECT $1, $2, $3, c.id, $5 FROM calls c WHERE c.id = $4 AND c.workspace_id = $1 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(Uuid::from(workspace))
            .bind(source.as_str())
            .bind(receipt)
            .bind(Uuid::from(call))
            .bind(callbase_domain::to_micros(now()))
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(inserted == 1)
    }

    async fn call_by_external_id(
        &self,
        workspace: WorkspaceId,
        source: &Source,
        external_id: &str,
    ) -> StoreResult<Option<Call>> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c \
             WHERE c.workspace_id = $1 AND c.source = $2 AND c.external_id = $3"
        );
        let row: Option<CallRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(source.as_str())
                .bind(external_id)
                .fetch_optional(pool)
                .await
        })?;
        row.map(Call::try_from).transpose()
    }

    async fn call_by_sip_call_id(
        &self,
        workspace: WorkspaceId,
        sip_call_id: &str,
    ) -> StoreResult<Option<Call>> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c WHERE c.workspace_id = $1 AND c.sip_call_id = $2 \
             ORDER BY c.started_at DESC LIMIT 1"
        );
        let row: Option<CallRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(sip_call_id)
                .fetch_optional(pool)
                .await
        })?;
        row.map(Call::try_from).transpose()
    }

    async fn call_legs(&self, workspace: WorkspaceId, id: CallId) -> StoreResult<Vec<Call>> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls c WHERE c.parent_call_id = $2 \
             AND c.workspace_id = $1 ORDER BY c.started_at, c.id LIMIT 1000"
        );
        let rows: Vec<CallRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(id))
                .fetch_all(pool)
                .await
        })?;
        convert_all(rows)
    }

    async fn call(&self, workspace: WorkspaceId, id: CallId) -> StoreResult<Option<Call>> {
        let sql =
            format!("SELECT {CALL_COLUMNS} FROM calls c WHERE c.workspace_id = $1 AND c.id = $2");
        let row: Option<CallRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(id))
                .fetch_optional(pool)
                .await
        })?;
        row.map(Call::try_from).transpose()
    }

    async fn call_events(&self, workspace: WorkspaceId, id: CallId) -> StoreResult<Vec<CallEvent>> {
        let sql = match self.pools {
            Pools::Sqlite { .. } => timeline_sql(),
            Pools::Postgres(_) => format!(
                "SELECT {EVENT_COLUMNS} FROM call_events e JOIN calls c ON c.id = e.call_id \
                 WHERE c.workspace_id = $1 AND e.call_id = $2 ORDER BY e.at, e.id"
            ),
        };
        let rows: Vec<EventRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(id))
                .fetch_all(pool)
                .await
        })?;
        convert_all(rows)
    }

    #[tracing::instrument(skip_all, fields(call = %id))]
    async fn command_call(
        &self,
        workspace: WorkspaceId,
        id: CallId,
        command: CallCommand,
        actor: Option<&str>,
    ) -> StoreResult<Option<Commanded>> {
        if let Some(group) = &self.group {
            return group.command(workspace, id, command, actor).await;
        }
        let lock = self.lock_suffix();
        write!(self, pool => async {
            let mut tx = pool.begin().await?;
            let outcome = command_in!(tx, workspace, id, command, actor, lock)?;
            tx.commit().await?;
            Ok(outcome)
        }
        .await)
    }

    async fn append_event(
        &self,
        workspace: WorkspaceId,
        event: &CallEvent,
    ) -> StoreResult<Option<CallStatus>> {
        match (&self.group, &self.pg_appends, &self.pools) {
            (Some(group), _, _) => group.append(workspace, event).await,
            (None, Some(batched), _) => batched.append(workspace, event).await,
            (None, None, Pools::Postgres(pool)) => {
                let statuses = append_batch(pool, &[(workspace, event.clone())]).await?;
                Ok(statuses.into_iter().next().flatten())
            }
            (None, None, Pools::Sqlite { write, .. }) => {
                let mut tx = write.begin().await?;
                let status =
                    append_events_on_sqlite(&mut tx, &[(workspace, event.clone())]).await?;
                tx.commit().await?;
                Ok(status.into_iter().next().flatten())
            }
        }
    }

    #[tracing::instrument(skip_all, fields(call = %id))]
    async fn update_call(
        &self,
        workspace: WorkspaceId,
        id: CallId,
        patch: &CallPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Call>> {
        let lock = self.lock_suffix();
        write!(self, pool => async {
            let mut tx = pool.begin().await?;
            let Some(mut call) = load_call!(tx, workspace, id, lock) else {
                return Ok(None);
            };
            let tz = workspace_time_zone!(tx, workspace)?;
            let before = call.clone();
            patch.apply_to(&mut call);
            call.updated_at = now().max(before.updated_at);
            bind_call!(sqlx::query(UPDATE_CALL), &call).execute(&mut *tx).await?;
            if call.tags != before.tags {
                replace_tags!(tx, &call);
            }
            apply_rollups!(tx, workspace, &rollup_delta(Some(&before), Some(&call), &tz))?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(Some(call))
        }
        .await)
    }

    #[tracing::instrument(skip_all, fields(call = %id))]
    async fn delete_call(
        &self,
        workspace: WorkspaceId,
        id: CallId,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let lock = self.lock_suffix();
        write!(self, pool => async {
            let mut tx = pool.begin().await?;
            let Some(call) = load_call!(tx, workspace, id, lock) else {
                return Ok(false);
            };
            let tz = workspace_time_zone!(tx, workspace)?;
            sqlx::query("DELETE FROM calls WHERE id = $1").bind(Uuid::from(id)).execute(&mut *tx).await?;
            if matches!(self.pools, Pools::Sqlite { .. }) {
                sqlx::query(DROP_INBOX_OF_CALL).bind(Uuid::from(id)).execute(&mut *tx).await?;
            }
            apply_rollups!(tx, workspace, &rollup_delta(Some(&call), None, &tz))?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        }
        .await)
    }

    #[tracing::instrument(skip_all)]
    async fn list_calls(
        &self,
        workspace: WorkspaceId,
        filter: &CallFilter,
        page: &CallPageRequest,
    ) -> StoreResult<CallPage> {
        let limit = page.limit.clamp(1, crate::PageRequest::MAX_LIMIT) as usize;
        let (sql, args) = match self.index_page_query(workspace, filter, page).await? {
            IndexPage::Query(sql, args) => (sql, args),
            found => {
                if let Some((sql, args)) = self.word_window_query(workspace, filter, page) {
                    let items = self.call_rows(sql, args).await?;
                    if items.len() > limit {
                        return Ok(page_of(items, limit, page.sort));
                    }
                }
                let common = matches!(found, IndexPage::Common);
                let select = self.call_select(workspace, filter, common).await?;
                let key_column = match page.sort {
                    CallSort::StartedAt => "c.started_at",
                    CallSort::Duration => "c.duration",
                };
                let cursor = page.after.map(|cursor| (cursor.key, Uuid::from(cursor.id)));
                select.keyset(key_column, "c.id", cursor, page.order, page.limit)
            }
        };
        let items = self.call_rows(sql, args).await?;
        Ok(page_of(items, limit, page.sort))
    }

    async fn call_stats(
        &self,
        workspace: WorkspaceId,
        from: i64,
        to: i64,
        group: StatsGroup,
    ) -> StoreResult<Vec<(GroupKey, Counters)>> {
        self.sum_rollups(workspace, None, from, to, group).await
    }

    async fn user_call_stats(
        &self,
        workspace: WorkspaceId,
        user: callbase_domain::UserId,
        from: i64,
        to: i64,
        group: StatsGroup,
    ) -> StoreResult<Vec<(GroupKey, Counters)>> {
        self.sum_rollups(workspace, Some(user), from, to, group).await
    }

    async fn user_call_contributions(
        &self,
        workspace: WorkspaceId,
        user: callbase_domain::UserId,
        from: i64,
        to: i64,
        tz: &jiff::tz::TimeZone,
    ) -> StoreResult<Vec<(RollupKey, Counters)>> {
        self.contributions_between(workspace, Some(user), from, to, tz).await
    }

    async fn rollup_rows(&self, workspace: WorkspaceId) -> StoreResult<Vec<(RollupKey, Counters)>> {
        self.all_rollup_rows(workspace).await
    }

    async fn call_contributions(
        &self,
        workspace: WorkspaceId,
        from: i64,
        to: i64,
        tz: &jiff::tz::TimeZone,
    ) -> StoreResult<Vec<(RollupKey, Counters)>> {
        self.contributions_between(workspace, None, from, to, tz).await
    }
}

impl SqlStore {
    /// The calls a list query selects, in its order.
    async fn call_rows(&self, sql: String, args: Vec<Arg>) -> StoreResult<Vec<Call>> {
        let rows: Vec<CallRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        convert_all(rows)
    }
}

/// The first `limit` of `items` (fetched one past the page), with the cursor after them when
/// more follow.
fn page_of(mut items: Vec<Call>, limit: usize, sort: CallSort) -> CallPage {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|call| CallCursor { key: sort_key(call, sort), id: call.id })
    } else {
        None
    };
    CallPage { items, next }
}
