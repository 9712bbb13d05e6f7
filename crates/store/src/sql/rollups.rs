//! Statistics rollups: applied in the transaction of every call change, summed by group
//! for `/calls/stats`, rebuilt when a workspace changes its time zone.

use callbase_domain::call::{Call, Counters, DURATION_BUCKETS, Direction, RollupKey, contribution};
use callbase_domain::call::{CallStatus, Source};
use callbase_domain::{UserId, WorkspaceId, from_micros};
use jiff::tz::TimeZone;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;
use uuid::Uuid;

use super::import::multi_row_sql;
use super::{SqlStore, read};
use crate::{GroupKey, StatsGroup, StoreError, StoreResult};

/// The rollup columns, in the order `apply_rollups!` binds them.
const ROLLUP_INSERT_HEAD: &str = "INSERT INTO call_rollups (workspace_id, bucket, user_id, \
     agent_id, source, direction, calls, inbound, outbound, internal, answered, missed, rang, \
     ring_seconds, talked, talk_seconds, d0, d1, d2, d3, d4, d5, d6, d7) VALUES ";
const ROLLUP_COLUMNS: usize = 24;
/// Rows per upsert: 24 parameters each stay under SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const ROLLUPS_PER_STATEMENT: usize = 500;
/// Adds each new row's counts to the stored row of the same key.
const ROLLUP_UPSERT_TAIL: &str = " ON CONFLICT (workspace_id, bucket, user_id, agent_id, \
     source, direction) DO UPDATE SET \
     calls = call_rollups.calls + excluded.calls, \
     inbound = call_rollups.inbound + excluded.inbound, \
     outbound = call_rollups.outbound + excluded.outbound, \
     internal = call_rollups.internal + excluded.internal, \
     answered = call_rollups.answered + excluded.answered, \
     missed = call_rollups.missed + excluded.missed, \
     rang = call_rollups.rang + excluded.rang, \
     ring_seconds = call_rollups.ring_seconds + excluded.ring_seconds, \
     talked = call_rollups.talked + excluded.talked, \
     talk_seconds = call_rollups.talk_seconds + excluded.talk_seconds, \
     d0 = call_rollups.d0 + excluded.d0, d1 = call_rollups.d1 + excluded.d1, \
     d2 = call_rollups.d2 + excluded.d2, d3 = call_rollups.d3 + excluded.d3, \
     d4 = call_rollups.d4 + excluded.d4, d5 = call_rollups.d5 + excluded.d5, \
     d6 = call_rollups.d6 + excluded.d6, d7 = call_rollups.d7 + excluded.d7";

/// The upsert of `rows` rollup rows, with the placeholders of the executor's database.
/// Keys must be distinct within one statement (PostgreSQL updates a row once per statement).
pub(crate) fn rollup_upsert_sql(rows: usize, numbered: bool) -> String {
    let mut sql = multi_row_sql(ROLLUP_INSERT_HEAD, ROLLUP_COLUMNS, rows, numbered);
    sql.push_str(ROLLUP_UPSERT_TAIL);
    sql
}

/// Adds each `(RollupKey, Counters)` of `$deltas` (distinct keys) to the rollups of workspace
/// `$workspace`, many rows per statement: a bulk load touches thousands of rows per batch.
macro_rules! apply_rollups {
    ($executor:expr, $workspace:expr, $deltas:expr) => {{
        let deltas = $deltas;
        let rows: Vec<(&callbase_domain::call::RollupKey, &callbase_domain::call::Counters)> =
            deltas.into_iter().map(|(key, counts)| (key, counts)).collect();
        let numbered = $crate::sql::placeholders_are_numbered(&*$executor);
        let mut result: Result<(), sqlx::Error> = Ok(());
        for chunk in rows.chunks($crate::sql::rollups::ROLLUPS_PER_STATEMENT) {
            let sql = $crate::sql::rollups::rollup_upsert_sql(chunk.len(), numbered);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (key, counts) in chunk {
                query = query
                    .bind(uuid::Uuid::from($workspace))
                    .bind(key.bucket)
                    .bind(key.user_id.map_or(uuid::Uuid::nil(), uuid::Uuid::from))
                    .bind(key.agent_id.unwrap_or(uuid::Uuid::nil()))
                    .bind(key.source.as_str())
                    .bind(key.direction.as_str())
                    .bind(counts.calls)
                    .bind(counts.inbound)
                    .bind(counts.outbound)
                    .bind(counts.internal)
                    .bind(counts.answered)
                    .bind(counts.missed)
                    .bind(counts.rang)
                    .bind(counts.ring_seconds)
                    .bind(counts.talked)
                    .bind(counts.talk_seconds);
                for bucket in counts.durations {
                    query = query.bind(bucket);
                }
            }
            if let Err(err) = query.execute(&mut *$executor).await {
                result = Err(err);
                break;
            }
        }
        result
    }};
}
pub(crate) use apply_rollups;

/// The workspace's time zone, read inside the caller's transaction.
macro_rules! workspace_time_zone {
    ($executor:expr, $workspace:expr) => {{
        let name: Option<String> =
            sqlx::query_scalar("SELECT time_zone FROM workspaces WHERE id = $1")
                .bind(uuid::Uuid::from($workspace))
                .fetch_optional(&mut *$executor)
                .await?;
        $crate::sql::rollups::time_zone(name)
    }};
}
pub(crate) use workspace_time_zone;

/// A stored zone name as a zone; `WorkspaceGone` when the workspace row is missing.
pub(crate) fn time_zone(name: Option<String>) -> StoreResult<TimeZone> {
    let name = name.ok_or(StoreError::WorkspaceGone)?;
    TimeZone::get(&name).map_err(|e| StoreError::corrupt("workspaces.time_zone", e))
}

/// Sums the contributions of `calls` per rollup row.
pub(crate) fn fold_contributions<'a>(
    calls: impl IntoIterator<Item = &'a Call>,
    tz: &TimeZone,
) -> HashMap<RollupKey, Counters> {
    let mut rows: HashMap<RollupKey, Counters> = HashMap::new();
    for call in calls {
        let (key, counts) = contribution(call, tz);
        rows.entry(key).or_default().add(&counts);
    }
    rows
}

const SUMS: &str = "CAST(SUM(calls) AS BIGINT) AS calls, CAST(SUM(inbound) AS BIGINT) AS inbound, \
     CAST(SUM(outbound) AS BIGINT) AS outbound, CAST(SUM(internal) AS BIGINT) AS internal, \
     CAST(SUM(answered) AS BIGINT) AS answered, CAST(SUM(missed) AS BIGINT) AS missed, \
     CAST(SUM(rang) AS BIGINT) AS rang, CAST(SUM(ring_seconds) AS BIGINT) AS ring_seconds, \
     CAST(SUM(talked) AS BIGINT) AS talked, CAST(SUM(talk_seconds) AS BIGINT) AS talk_seconds, \
     CAST(SUM(d0) AS BIGINT) AS d0, CAST(SUM(d1) AS BIGINT) AS d1, \
     CAST(SUM(d2) AS BIGINT) AS d2, CAST(SUM(d3) AS BIGINT) AS d3, \
     CAST(SUM(d4) AS BIGINT) AS d4, CAST(SUM(d5) AS BIGINT) AS d5, \
     CAST(SUM(d6) AS BIGINT) AS d6, CAST(SUM(d7) AS BIGINT) AS d7";

#[derive(sqlx::FromRow)]
struct SumsRow {
    calls: Option<i64>,
    inbound: Option<i64>,
    outbound: Option<i64>,
    internal: Option<i64>,
    answered: Option<i64>,
    missed: Option<i64>,
    rang: Option<i64>,
    ring_seconds: Option<i64>,
    talked: Option<i64>,
    talk_seconds: Option<i64>,
    d0: Option<i64>,
    d1: Option<i64>,
    d2: Option<i64>,
    d3: Option<i64>,
    d4: Option<i64>,
    d5: Option<i64>,
    d6: Option<i64>,
    d7: Option<i64>,
}

impl From<SumsRow> for Counters {
    fn from(row: SumsRow) -> Self {
        let durations: [Option<i64>; DURATION_BUCKETS] =
            [row.d0, row.d1, row.d2, row.d3, row.d4, row.d5, row.d6, row.d7];
        Self {
            calls: row.calls.unwrap_or(0),
            inbound: row.inbound.unwrap_or(0),
            outbound: row.outbound.unwrap_or(0),
            internal: row.internal.unwrap_or(0),
            answered: row.answered.unwrap_or(0),
            missed: row.missed.unwrap_or(0),
            rang: row.rang.unwrap_or(0),
            ring_seconds: row.ring_seconds.unwrap_or(0),
            talked: row.talked.unwrap_or(0),
            talk_seconds: row.talk_seconds.unwrap_or(0),
            durations: durations.map(|count| count.unwrap_or(0)),
        }
    }
}

/// A grouped row: the group's value in whichever key column applies, and its sums.
#[derive(sqlx::FromRow)]
struct GroupedRow {
    bucket: Option<i64>,
    id_key: Option<Uuid>,
    text_key: Option<String>,
    #[sqlx(flatten)]
    sums: SumsRow,
}

#[derive(sqlx::FromRow)]
struct KeyedRow {
    bucket: i64,
    user_id: Uuid,
    agent_id: Uuid,
    source: String,
    direction: String,
    #[sqlx(flatten)]
    sums: SumsRow,
}

fn nil_as_none(id: Uuid) -> Option<Uuid> {
    (!id.is_nil()).then_some(id)
}

fn group_key(group: StatsGroup, row: &GroupedRow) -> StoreResult<GroupKey> {
    let id = row.id_key.and_then(nil_as_none);
    Ok(match group {
        StatsGroup::All => GroupKey::All,
        StatsGroup::Bucket => GroupKey::Bucket(row.bucket.unwrap_or(0)),
        StatsGroup::User => GroupKey::User(id.map(UserId::from)),
        StatsGroup::Agent => GroupKey::Agent(id),
        StatsGroup::Source => GroupKey::Source(row.text_key.clone().unwrap_or_default()),
        StatsGroup::Direction => GroupKey::Direction(
            row.text_key
                .as_deref()
                .unwrap_or_default()
                .parse::<Direction>()
                .map_err(|e| StoreError::corrupt("call_rollups.direction", e))?,
        ),
    })
}

impl SqlStore {
    pub(crate) async fn sum_rollups(
        &self,
        workspace: WorkspaceId,
        user: Option<UserId>,
        from: i64,
        to: i64,
        group: StatsGroup,
    ) -> StoreResult<Vec<(GroupKey, Counters)>> {
        let (columns, group_by) = match group {
            StatsGroup::All => ("NULL AS bucket, NULL AS id_key, NULL AS text_key", ""),
            StatsGroup::Bucket => {
                ("bucket, NULL AS id_key, NULL AS text_key", " GROUP BY bucket ORDER BY bucket")
            }
            StatsGroup::User => {
                ("NULL AS bucket, user_id AS id_key, NULL AS text_key", " GROUP BY user_id")
            }
            StatsGroup::Agent => {
                ("NULL AS bucket, agent_id AS id_key, NULL AS text_key", " GROUP BY agent_id")
            }
            StatsGroup::Source => {
                ("NULL AS bucket, NULL AS id_key, source AS text_key", " GROUP BY source")
            }
            StatsGroup::Direction => {
                ("NULL AS bucket, NULL AS id_key, direction AS text_key", " GROUP BY direction")
            }
        };
        // Rows come in key order (workspace, bucket, user, agent, …). Grouping by a user or
        // an agent sums each hour's rows in that order first, so only the far fewer hourly
        // sums are sorted for the final grouping, not every row of the period.
        let hourly = match group {
            StatsGroup::User => Some("bucket, user_id"),
            StatsGroup::Agent => Some("bucket, user_id, agent_id"),
            _ => None,
        };
        // One user's rows only: the rollup key carries the user after the hour.
        let of_user = if user.is_some() { " AND user_id = $4" } else { "" };
        let source = match hourly {
            Some(keys) => format!(
                "(SELECT {keys}, {SUMS} FROM call_rollups WHERE workspace_id = $1 \
                 AND bucket >= $2 AND bucket < $3{of_user} GROUP BY {keys}) hourly"
            ),
            None => format!(
                "call_rollups WHERE workspace_id = $1 AND bucket >= $2 AND bucket < $3{of_user}"
            ),
        };
        let sql = format!("SELECT {columns}, {SUMS} FROM {source}{group_by}");
        let rows: Vec<GroupedRow> = read!(self, pool => {
            let query = sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(from)
                .bind(to);
            match user {
                Some(user) => query.bind(Uuid::from(user)).fetch_all(pool).await,
                None => query.fetch_all(pool).await,
            }
        })?;
        rows.into_iter()
            .filter(|row| row.sums.calls.is_some())
            .map(|row| Ok((group_key(group, &row)?, Counters::from(row.sums))))
            .filter(|result| !matches!(result, Ok((_, counts)) if counts.is_zero()))
            .collect()
    }

    pub(crate) async fn all_rollup_rows(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<(RollupKey, Counters)>> {
        let sql = format!(
            "SELECT bucket, user_id, agent_id, source, direction, {SUMS} FROM call_rollups \
             WHERE workspace_id = $1 GROUP BY bucket, user_id, agent_id, source, direction"
        );
        let rows: Vec<KeyedRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(Uuid::from(workspace)).fetch_all(pool).await
        })?;
        let mut keyed = Vec::with_capacity(rows.len());
        for row in rows {
            let counts = Counters::from(row.sums);
            if counts.is_zero() {
                continue;
            }
            let key = RollupKey {
                bucket: row.bucket,
                user_id: nil_as_none(row.user_id).map(UserId::from),
                agent_id: nil_as_none(row.agent_id),
                source: row.source,
                direction: row
                    .direction
                    .parse()
                    .map_err(|e| StoreError::corrupt("call_rollups.direction", e))?,
            };
            keyed.push((key, counts));
        }
        Ok(keyed)
    }
}

/// Recomputes every rollup row of `$workspace` from its calls in zone `$tz`, inside `$tx`
/// (after a time zone change moves every local hour). Reads the calls in batches.
macro_rules! rebuild_rollups {
    ($tx:expr, $workspace:expr, $tz:expr) => {{
        let workspace: callbase_domain::WorkspaceId = $workspace;
        sqlx::query("DELETE FROM call_rollups WHERE workspace_id = $1")
            .bind(uuid::Uuid::from(workspace))
            .execute(&mut *$tx)
            .await?;
        let sql = format!(
            "SELECT {} FROM calls c WHERE c.workspace_id = $1 AND c.id > $2 ORDER BY c.id LIMIT 5000",
            $crate::sql::call_rows::CALL_COLUMNS
        );
        let mut after = uuid::Uuid::nil();
        let mut totals = std::collections::HashMap::new();
        loop {
            let rows: Vec<$crate::sql::call_rows::CallRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(uuid::Uuid::from(workspace))
                    .bind(after)
                    .fetch_all(&mut *$tx)
                    .await?;
            let calls: Vec<callbase_domain::call::Call> =
                $crate::sql::rows::convert_all(rows)?;
            let Some(last) = calls.last() else { break };
            after = uuid::Uuid::from(last.id);
            for (key, counts) in $crate::sql::rollups::fold_contributions(&calls, $tz) {
                totals.entry(key).or_insert_with(callbase_domain::call::Counters::default).add(&counts);
            }
        }
        $crate::sql::rollups::apply_rollups!($tx, workspace, &totals)?;
    }};
}
pub(crate) use rebuild_rollups;

/// What a call's contribution to the rollups depends on, and nothing else.
#[derive(sqlx::FromRow)]
struct ContributionRow {
    source: String,
    direction: String,
    status: String,
    user_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
}

impl ContributionRow {
    /// A call with these facts; its other fields do not count towards the rollups.
    fn into_call(self, workspace: WorkspaceId) -> StoreResult<Call> {
        let source =
            Source::parse(&self.source).map_err(|e| StoreError::corrupt("calls.source", e))?;
        let direction = self
            .direction
            .parse::<Direction>()
            .map_err(|e| StoreError::corrupt("calls.direction", e))?;
        let status = self
            .status
            .parse::<CallStatus>()
            .map_err(|e| StoreError::corrupt("calls.status", e))?;
        let mut call =
            Call::started(workspace, source, direction, status, from_micros(self.started_at));
        call.user_id = self.user_id.map(Into::into);
        call.agent_id = self.agent_id;
        call.answered_at = self.answered_at.map(from_micros);
        call.ended_at = self.ended_at.map(from_micros);
        Ok(call)
    }
}

impl SqlStore {
    pub(crate) async fn contributions_between(
        &self,
        workspace: WorkspaceId,
        user: Option<UserId>,
        from: i64,
        to: i64,
        tz: &TimeZone,
    ) -> StoreResult<Vec<(RollupKey, Counters)>> {
        let of_user = if user.is_some() { " AND c.user_id = $4" } else { "" };
        let sql = format!(
            "SELECT c.source, c.direction, c.status, c.user_id, c.agent_id, c.started_at, \
             c.answered_at, c.ended_at FROM calls c \
             WHERE c.workspace_id = $1 AND c.started_at >= $2 AND c.started_at < $3{of_user}"
        );
        let rows: Vec<ContributionRow> = read!(self, pool => {
            let query = sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(from)
                .bind(to);
            match user {
                Some(user) => query.bind(Uuid::from(user)).fetch_all(pool).await,
                None => query.fetch_all(pool).await,
            }
        })?;
        let calls: Vec<Call> =
            rows.into_iter().map(|row| row.into_call(workspace)).collect::<StoreResult<_>>()?;
        Ok(fold_contributions(&calls, tz).into_iter().collect())
    }
}
