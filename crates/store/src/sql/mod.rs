//! One SQL implementation of the store traits that speaks both SQLite and PostgreSQL.
//!
//! Query texts are shared (`$N` placeholders work on both); where the dialects differ a
//! method matches on the backend. The `read!`/`write!` macros compile one body per driver.

mod access;
mod audit;
mod blocklist;
mod call_query;
mod call_rows;
mod calls;
mod group_commit;
mod import;
mod indexes;
mod integrations;
mod pg_appends;
mod recordings;
mod report_batch;
mod rollups;
mod rows;
mod select;
mod sqlite_appender;
mod timeline_inbox;
mod tokens;
mod transcripts;
mod users;
mod workspaces;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Admin, StoreError, StoreResult};

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL scheme; `None` for anything else.
    #[must_use]
    pub fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme)?;
        match scheme {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Connection pool sizes and waits.
#[derive(Debug, Clone)]
pub struct SqliteTuning {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for SqliteTuning {
    fn default() -> Self {
        Self { max_connections: 8, acquire_timeout: Duration::from_secs(10) }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Pools {
    /// SQLite allows one writer at a time: a one-connection write pool queues writers in
    /// the application instead of failing them with SQLITE_BUSY, while readers run in parallel.
    /// (The group committer's appender writes through a connection of its own, only while
    /// it holds this pool's one.)
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pools: Pools,
    /// SQLite: call writes share commits (see `group_commit`); PostgreSQL commits in parallel.
    pub(crate) group: Option<group_commit::GroupCommit>,
    /// PostgreSQL: timeline appends share commits (see `pg_appends`).
    pub(crate) pg_appends: Option<pg_appends::PgAppends>,
}

/// Runs `$body` with `$pool` bound to a pool fit for reading.
macro_rules! read {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::sql::Pools::Sqlite { read: $pool, .. } => $body,
            $crate::sql::Pools::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to a pool fit for writing.
macro_rules! write {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::sql::Pools::Sqlite { write: $pool, .. } => $body,
            $crate::sql::Pools::Postgres($pool) => $body,
        }
    };
}

pub(crate) use {read, write};

/// How a database writes the placeholders of a statement built at run time: PostgreSQL
/// numbers them (`$1`); SQLite binds anonymous `?` in order (sqlx looks every named one up
/// among all of a statement's parameters, which is quadratic in a multi-row insert).
pub(crate) trait Placeholders {
    const NUMBERED: bool;
}

impl Placeholders for sqlx::SqliteConnection {
    const NUMBERED: bool = false;
}

impl Placeholders for sqlx::PgConnection {
    const NUMBERED: bool = true;
}

/// Whether statements for `connection` (a transaction derefs to one) use `$n` placeholders.
pub(crate) fn placeholders_are_numbered<C: Placeholders>(_connection: &C) -> bool {
    C::NUMBERED
}

impl SqlStore {
    /// Opens (and for SQLite creates) the database the URL names. Does not migrate.
    pub async fn connect(url: &str, tuning: &SqliteTuning) -> StoreResult<Self> {
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL scheme in {url:?}: use sqlite: or postgres:")
                    .into(),
            ))
        })?;
        let (pools, group, pg_appends) = match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: a committed transaction survives power loss, as a 2xx promises.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("temp_store", "memory")
                    .pragma("cache_size", "-16000");
                // The one writer keeps every index's hot pages cached: inserts touch many
                // indexes at scattered places (numbers, durations), readers touch few.
                // A local file's connection cannot go stale: no ping (a round trip to the
                // connection's thread) before every use.
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(tuning.acquire_timeout)
                    .connect_with(options.clone().pragma("cache_size", "-262144"))
                    .await?;
                let appender = sqlite_appender_for(options.get_filename())?;
                let group = group_commit::GroupCommit::start(write.clone(), appender);
                let read = SqlitePoolOptions::new()
                    .max_connections(tuning.max_connections.max(1))
                    .test_before_acquire(false)
                    .acquire_timeout(tuning.acquire_timeout)
                    .connect_with(options.read_only(true))
                    .await?;
                (Pools::Sqlite { read, write }, Some(group), None)
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)?.application_name("callbase");
                let pool = PgPoolOptions::new()
                    .max_connections(tuning.max_connections.max(2) * 2)
                    .acquire_timeout(tuning.acquire_timeout)
                    .connect_with(options)
                    .await?;
                let appends = pg_appends::PgAppends::start(pool.clone());
                (Pools::Postgres(pool), None, Some(appends))
            }
        };
        Ok(Self { pools, group, pg_appends })
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

/// The appender for the SQLite database file at `path`; none for an in-memory database,
/// which a second connection would not see.
fn sqlite_appender_for(
    path: &std::path::Path,
) -> StoreResult<Option<sqlite_appender::SqliteAppender>> {
    if path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:") {
        return Ok(None);
    }
    sqlite_appender::SqliteAppender::open(path).map(Some)
}

#[async_trait]
impl Admin for SqlStore {
    async fn migrate(&self) -> StoreResult<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => sqlx::migrate!("migrations/sqlite").run(write).await?,
            Pools::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        self.ensure_indexes().await
    }

    async fn ping(&self) -> StoreResult<()> {
        read!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    fn pool_state(&self) -> (u32, usize) {
        read!(self, pool => (pool.size(), pool.num_idle()))
    }

    async fn fold_timeline_inbox(&self) -> StoreResult<u64> {
        match (&self.group, &self.pools) {
            (Some(group), _) => group.fold().await,
            (None, Pools::Sqlite { write, .. }) => timeline_inbox::fold(write).await,
            (None, Pools::Postgres(_)) => Ok(0),
        }
    }
}
