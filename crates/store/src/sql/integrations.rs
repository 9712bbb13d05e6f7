//! Provider integrations: rows with sealed secrets, and activity counts a flusher adds to.

use std::collections::BTreeSet;

use async_trait::async_trait;
use callbase_domain::{DisplayName, IntegrationId, Timestamp, WorkspaceId, from_micros, to_micros};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use uuid::Uuid;

use super::audit::insert_audit;
use super::rows::convert_all;
use super::select::{Arg, Select, bind_args};
use super::{SqlStore, read, write};
use crate::{
    AuditEntry, Integration, IntegrationActivity, IntegrationPatch, IntegrationStore, Page,
    PageRequest, StoreError, StoreResult,
};

type Config = serde_json::Map<String, serde_json::Value>;

const INTEGRATION_COLUMNS: &str = "i.id, i.workspace_id, i.kind, i.name, i.config, \
     i.sealed_secrets, i.secret_names, i.created_at, i.updated_at, i.events_received, \
     i.last_event_at, i.signature_failures, i.last_signature_failure_at, \
     i.last_signature_failure_reason";

#[derive(sqlx::FromRow)]
struct IntegrationRow {
    id: Uuid,
    workspace_id: Uuid,
    kind: String,
    name: String,
    config: Json<Config>,
    sealed_secrets: Vec<u8>,
    secret_names: Json<BTreeSet<String>>,
    created_at: i64,
    updated_at: i64,
    events_received: i64,
    last_event_at: Option<i64>,
    signature_failures: i64,
    last_signature_failure_at: Option<i64>,
    last_signature_failure_reason: Option<String>,
}

impl TryFrom<IntegrationRow> for Integration {
    type Error = StoreError;

    fn try_from(row: IntegrationRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id.into(),
            workspace_id: row.workspace_id.into(),
            kind: row.kind.parse().map_err(|e| StoreError::corrupt("integrations.kind", e))?,
            name: DisplayName::parse(&row.name)
                .map_err(|e| StoreError::corrupt("integrations.name", e))?,
            config: row.config.0,
            sealed_secrets: row.sealed_secrets,
            secret_names: row.secret_names.0,
            created_at: from_micros(row.created_at),
            updated_at: from_micros(row.updated_at),
            events_received: u64::try_from(row.events_received)
                .map_err(|e| StoreError::corrupt("integrations.events_received", e))?,
            last_event_at: row.last_event_at.map(from_micros),
            signature_failures: u64::try_from(row.signature_failures)
                .map_err(|e| StoreError::corrupt("integrations.signature_failures", e))?,
            last_signature_failure_at: row.last_signature_failure_at.map(from_micros),
            last_signature_failure_reason: row.last_signature_failure_reason,
        })
    }
}

/// A count as the signed column stores it; no flusher sees 2^63 events.
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An insert into a workspace deleted meanwhile answers `WorkspaceGone`, not a database error.
fn workspace_gone_on_foreign_key(err: sqlx::Error) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_foreign_key_violation() => StoreError::WorkspaceGone,
        _ => StoreError::Database(err),
    }
}

#[async_trait]
impl IntegrationStore for SqlStore {
    #[tracing::instrument(skip_all, fields(integration = %integration.id))]
    async fn create_integration(
        &self,
        integration: &Integration,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO integrations (id, workspace_id, kind, name, config, sealed_secrets, \
                 secret_names, created_at, updated_at, events_received, last_event_at, \
                 signature_failures, last_signature_failure_at, last_signature_failure_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(Uuid::from(integration.id))
            .bind(Uuid::from(integration.workspace_id))
            .bind(integration.kind.as_str())
            .bind(integration.name.as_str())
            .bind(Json(&integration.config))
            .bind(integration.sealed_secrets.as_slice())
            .bind(Json(&integration.secret_names))
            .bind(to_micros(integration.created_at))
            .bind(to_micros(integration.updated_at))
            .bind(count(integration.events_received))
            .bind(integration.last_event_at.map(to_micros))
            .bind(count(integration.signature_failures))
            .bind(integration.last_signature_failure_at.map(to_micros))
            .bind(integration.last_signature_failure_reason.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(workspace_gone_on_foreign_key)?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, integration = %id))]
    async fn integration(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
    ) -> StoreResult<Option<Integration>> {
        let sql = format!(
            "SELECT {INTEGRATION_COLUMNS} FROM integrations i \
             WHERE i.workspace_id = $1 AND i.id = $2"
        );
        let row: Option<IntegrationRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(id))
                .fetch_optional(pool)
                .await
        })?;
        row.map(Integration::try_from).transpose()
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace))]
    async fn list_integrations(
        &self,
        workspace: WorkspaceId,
        page: &PageRequest,
    ) -> StoreResult<Page<Integration>> {
        let mut select = Select::new(&format!("SELECT {INTEGRATION_COLUMNS} FROM integrations i"));
        select.and("i.workspace_id = ?", Arg::Uuid(workspace.into()));
        let (sql, args) = select.page("i.id", page);
        let rows: Vec<IntegrationRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        Ok(Page::from_overfetch(convert_all(rows)?, page, |i: &Integration| i.id.into()))
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, integration = %id))]
    async fn update_integration(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        patch: &IntegrationPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Integration>> {
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE integrations SET \
                 name = CASE WHEN $3 THEN $4 ELSE name END, \
                 config = CASE WHEN $5 THEN $6 ELSE config END, \
                 sealed_secrets = CASE WHEN $7 THEN $8 ELSE sealed_secrets END, \
                 secret_names = CASE WHEN $7 THEN $9 ELSE secret_names END, \
                 updated_at = $10 \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(id))
            .bind(patch.name.is_some())
            .bind(patch.name.as_ref().map(DisplayName::as_str))
            .bind(patch.config.is_some())
            .bind(patch.config.as_ref().map(Json))
            .bind(patch.secrets.is_some())
            .bind(patch.secrets.as_ref().map(|s| s.sealed.as_slice()))
            .bind(patch.secrets.as_ref().map(|s| Json(&s.names)))
            .bind(to_micros(patch.at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            changed
        });
        if changed == 0 {
            return Ok(None);
        }
        self.integration(workspace, id).await
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, integration = %id))]
    async fn delete_integration(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let deleted = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let deleted =
                sqlx::query("DELETE FROM integrations WHERE workspace_id = $1 AND id = $2")
                    .bind(Uuid::from(workspace))
                    .bind(Uuid::from(id))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if deleted > 0 {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            deleted
        });
        Ok(deleted > 0)
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, integration = %id))]
    async fn record_integration_activity(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        activity: &IntegrationActivity,
    ) -> StoreResult<bool> {
        let (failure_at, failure_reason): (Option<Timestamp>, Option<&str>) =
            match &activity.last_failure {
                Some((at, reason)) => (Some(*at), Some(reason.as_str())),
                None => (None, None),
            };
        // Instants only move forward: a flush that carries an older one (two instances
        // flushing out of order) keeps the later one stored. Every right-hand side reads
        // the row as it was before this UPDATE.
        let changed = write!(self, pool => {
            sqlx::query(
                "UPDATE integrations SET \
                 events_received = events_received + $3, \
                 last_event_at = CASE WHEN last_event_at IS NULL OR $4 > last_event_at \
                     THEN COALESCE($4, last_event_at) ELSE last_event_at END, \
                 signature_failures = signature_failures + $5, \
                 last_signature_failure_at = CASE WHEN last_signature_failure_at IS NULL \
                     OR $6 >= last_signature_failure_at \
                     THEN COALESCE($6, last_signature_failure_at) \
                     ELSE last_signature_failure_at END, \
                 last_signature_failure_reason = CASE WHEN $6 IS NOT NULL \
                     AND (last_signature_failure_at IS NULL OR $6 >= last_signature_failure_at) \
                     THEN $7 ELSE last_signature_failure_reason END \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(id))
            .bind(count(activity.events))
            .bind(activity.last_event_at.map(to_micros))
            .bind(count(activity.signature_failures))
            .bind(failure_at.map(to_micros))
            .bind(failure_reason)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }
}
