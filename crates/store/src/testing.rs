//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database per call.

use std::path::PathBuf;

use crate::{Admin, SqlStore, SqliteTuning, StoreResult};

/// The PostgreSQL server tests create their databases on.
#[must_use]
pub fn postgres_admin_url() -> String {
    std::env::var("CALLBASE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database URL that nobody else uses, on the given backend (`sqlite` or `postgres`).
pub async fn fresh_database_url(backend: crate::Backend) -> StoreResult<String> {
    let name = format!("callbase_test_{}", uuid::Uuid::now_v7().simple());
    match backend {
        crate::Backend::Sqlite => {
            let dir: PathBuf = std::env::temp_dir().join("callbase-tests");
            std::fs::create_dir_all(&dir).map_err(sqlx::Error::Io)?;
            Ok(format!("sqlite://{}", dir.join(format!("{name}.db")).display()))
        }
        crate::Backend::Postgres => {
            let admin = postgres_admin_url();
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await?;
            sqlx::Executor::execute(
                &mut conn,
                sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
            )
            .await?;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
            Ok(format!("{base}/{name}"))
        }
    }
}

/// A migrated, empty store on the given backend.
pub async fn fresh_store(backend: crate::Backend) -> StoreResult<SqlStore> {
    let url = fresh_database_url(backend).await?;
    let store = SqlStore::connect(&url, &SqliteTuning::default()).await?;
    store.migrate().await?;
    Ok(store)
}
