//! The secondary indexes on calls: one per single filter of `GET /calls` (PERF-2), created
//! after every migration (so a bulk load interrupted after dropping them heals on the next
//! start), dropped and rebuilt around bulk loads, where building an index from sorted data
//! is many times faster than maintaining it row by row.

use sqlx::AssertSqlSafe;

use super::{Pools, SqlStore, write};
use crate::StoreResult;

/// `name ON table (columns) [WHERE …]`, the same on both databases.
const CALL_INDEXES: &[&str] = &[
    "calls_by_started ON calls (workspace_id, started_at, id)",
    "calls_by_status ON calls (workspace_id, status, started_at, id)",
    "calls_by_direction ON calls (workspace_id, direction, started_at, id)",
    "calls_by_source ON calls (workspace_id, source, started_at, id)",
    "calls_by_user ON calls (workspace_id, user_id, started_at, id)",
    "calls_by_agent ON calls (workspace_id, agent_id, started_at, id) WHERE agent_id IS NOT NULL",
    "calls_by_lead ON calls (workspace_id, lead_id, started_at, id) WHERE lead_id IS NOT NULL",
    // Sorted by (duration, id) for sort=duration; the start time carried after the unique id
    // lets a page of long calls be sorted by start from this index alone.
    "calls_by_duration_started ON calls (workspace_id, duration, id, started_at)",
    // Reversed digits: "ends with 4567" is a range scan, and the start time beside them lets
    // a page of a number's calls be sorted without reading their rows.
    "calls_by_from_number ON calls (workspace_id, from_rev, started_at, id)",
    "calls_by_to_number ON calls (workspace_id, to_rev, started_at, id)",
    "calls_with_recording ON calls (workspace_id, started_at, id) WHERE has_recording",
    "calls_by_parent ON calls (parent_call_id) WHERE parent_call_id IS NOT NULL",
    // A recorder names the call by its SIP Call-ID.
    "calls_by_sip_call_id ON calls (workspace_id, sip_call_id, started_at) \
     WHERE sip_call_id IS NOT NULL",
];

/// Indexes an earlier version made, replaced by the ones above.
const RETIRED_INDEXES: &[&str] = &["calls_by_from_rev", "calls_by_to_rev", "calls_by_duration"];

/// PostgreSQL's full-text index (SQLite's FTS5 table is kept by triggers instead).
const POSTGRES_INDEXES: &[&str] = &["calls_search ON calls USING GIN (search)"];

impl SqlStore {
    fn index_definitions(&self) -> Vec<&'static str> {
        let extra = match self.pools {
            Pools::Sqlite { .. } => &[][..],
            Pools::Postgres(_) => POSTGRES_INDEXES,
        };
        CALL_INDEXES.iter().chain(extra).copied().collect()
    }

    /// Creates whichever secondary call indexes are missing.
    pub async fn ensure_indexes(&self) -> StoreResult<()> {
        for name in RETIRED_INDEXES {
            let sql = format!("DROP INDEX IF EXISTS {name}");
            write!(self, pool => sqlx::query(AssertSqlSafe(sql)).execute(pool).await.map(|_| ()))?;
        }
        for definition in self.index_definitions() {
            let sql = format!("CREATE INDEX IF NOT EXISTS {definition}");
            write!(self, pool => sqlx::query(AssertSqlSafe(sql)).execute(pool).await.map(|_| ()))?;
        }
        Ok(())
    }

    /// Drops the secondary call indexes before a bulk load; `ensure_indexes` rebuilds them.
    /// Lists filtered by anything but time are slow until then.
    pub async fn drop_secondary_indexes(&self) -> StoreResult<()> {
        for definition in self.index_definitions() {
            let name = definition.split_whitespace().next().unwrap_or_default();
            let sql = format!("DROP INDEX IF EXISTS {name}");
            write!(self, pool => sqlx::query(AssertSqlSafe(sql)).execute(pool).await.map(|_| ()))?;
        }
        Ok(())
    }
}

impl SqlStore {
    /// For bulk loads on SQLite: commits without waiting for the disk (a crash loses the
    /// last batches, never the database) and checkpoints in larger steps. `false` restores
    /// the durable defaults (and, on PostgreSQL, refreshes the planner's statistics).
    pub async fn bulk_load_mode(&self, on: bool) -> StoreResult<()> {
        let write = match &self.pools {
            Pools::Sqlite { write, .. } => write,
            // The planner needs fresh statistics after a bulk load, before autovacuum would,
            // and index-only scans need the calls' pages marked all-visible by a vacuum.
            Pools::Postgres(pool) if !on => {
                sqlx::query("VACUUM (ANALYZE) calls").execute(pool).await?;
                sqlx::query("ANALYZE call_tags, call_events, call_rollups").execute(pool).await?;
                return Ok(());
            }
            Pools::Postgres(_) => return Ok(()),
        };
        // Index builds sort with helper threads when allowed.
        let (synchronous, checkpoint, threads) =
            if on { ("NORMAL", 10_000, 2) } else { ("FULL", 1000, 0) };
        let mut connection = write.acquire().await?;
        sqlx::query(AssertSqlSafe(format!("PRAGMA synchronous = {synchronous}")))
            .execute(&mut *connection)
            .await?;
        sqlx::query(AssertSqlSafe(format!("PRAGMA wal_autocheckpoint = {checkpoint}")))
            .execute(&mut *connection)
            .await?;
        sqlx::query(AssertSqlSafe(format!("PRAGMA threads = {threads}")))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}
