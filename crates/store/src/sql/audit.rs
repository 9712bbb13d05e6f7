//! The audit log: entries are written inside the transaction of the change they describe.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::rows::{AUDIT_COLUMNS, AuditRow};
use super::select::{Arg, Select, bind_args};
use super::{SqlStore, read};
use crate::{AuditFilter, AuditRecord, AuditStore, Page, PageRequest, StoreResult};

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log (id, workspace_id, actor_user, \
     actor_token, action, target_type, target_id, details, client_addr, request_id, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Appends `$entry` (an `&AuditEntry`) through `$executor` (usually the open transaction).
macro_rules! insert_audit {
    ($executor:expr, $entry:expr) => {{
        let entry: &$crate::AuditEntry = $entry;
        sqlx::query($crate::sql::audit::INSERT_AUDIT)
            .bind(*entry.id.as_uuid())
            .bind(entry.workspace_id.map(uuid::Uuid::from))
            .bind(entry.actor_user.map(uuid::Uuid::from))
            .bind(entry.actor_token.map(uuid::Uuid::from))
            .bind(entry.action.as_str())
            .bind(entry.target_type.as_str())
            .bind(entry.target_id.as_deref())
            .bind(sqlx::types::Json(&entry.details))
            .bind(entry.client_addr.as_deref())
            .bind(entry.request_id.as_deref())
            .bind(callbase_domain::to_micros(entry.at))
            .execute($executor)
            .await
    }};
}
pub(crate) use insert_audit;

#[async_trait]
impl AuditStore for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<AuditRecord>> {
        let mut select = Select::new(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
        select
            .and_if("workspace_id = ?", filter.workspace.map(|id| Arg::Uuid(id.into())))
            .and_if("action = ?", filter.action.clone().map(Arg::Text))
            .and_when(filter.instance_only, "workspace_id IS NULL")
            .and_if("actor_user = ?", filter.actor_user.map(|id| Arg::Uuid(id.into())))
            .and_if("target_id = ?", filter.target_id.clone().map(Arg::Text));
        let (sql, args) = select.page("id", page);
        let rows: Vec<AuditRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        let records = rows.into_iter().map(AuditRecord::from).collect();
        Ok(Page::from_overfetch(records, page, |r| r.id.into()))
    }
}
