//! Workspaces and memberships.

use async_trait::async_trait;
use callbase_domain::{Role, UserId, WorkspaceId, to_micros};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::insert_audit;
use super::rollups::{rebuild_rollups, time_zone};
use super::rows::{
    MemberRow, MembershipRow, USER_COLUMNS, WORKSPACE_COLUMNS, WorkspaceRow, convert_all,
    parse_role,
};
use super::select::{Arg, Select, bind_args};
use super::timeline_inbox::DROP_INBOX_OF_WORKSPACE;
use super::{Backend, Pools, SqlStore, read, write};
use crate::Admin;
use crate::error::{ConflictKind, conflict_on_unique};
use crate::{
    AuditEntry, Member, Membership, NewWorkspace, Page, PageRequest, StoreError, StoreResult,
    Workspace, WorkspaceFilter, WorkspacePatch, WorkspaceStats, WorkspaceStore,
};

impl SqlStore {
    /// Serializes changes to one workspace's owners. SQLite already has a single writer.
    fn lock_workspace_sql(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "SELECT 1 FROM workspaces WHERE id = $1",
            Backend::Postgres => "SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE",
        }
    }

    pub(crate) async fn member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> StoreResult<Option<Member>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, m.role, m.created_at AS joined_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2"
        );
        let row: Option<MemberRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(user))
                .fetch_optional(pool)
                .await
        })?;
        row.map(Member::try_from).transpose()
    }
}

const COUNT_OTHER_OWNERS: &str = "SELECT COUNT(*) FROM memberships \
     WHERE workspace_id = $1 AND role = 'owner' AND user_id <> $2";

#[async_trait]
impl WorkspaceStore for SqlStore {
    #[tracing::instrument(skip_all, fields(workspace = %workspace.id))]
    async fn create_workspace(
        &self,
        workspace: NewWorkspace,
        owner: Option<UserId>,
        audit: &AuditEntry,
    ) -> StoreResult<Workspace> {
        let at = to_micros(workspace.at);
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO workspaces (id, name, time_zone, region, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(*workspace.id.as_uuid())
            .bind(workspace.name.as_str())
            .bind(workspace.time_zone.as_str())
            .bind(workspace.region.as_ref().map(|r| r.as_str()))
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique(ConflictKind::Workspace))?;
            if let Some(owner) = owner {
                sqlx::query(
                    "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
                     VALUES ($1, $2, 'owner', $3)",
                )
                .bind(*workspace.id.as_uuid())
                .bind(Uuid::from(owner))
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        self.workspace(workspace.id).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    #[tracing::instrument(skip_all, fields(workspace = %id))]
    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Option<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces w WHERE w.id = $1");
        let row: Option<WorkspaceRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(Uuid::from(id)).fetch_optional(pool).await
        })?;
        row.map(Workspace::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_workspaces(
        &self,
        filter: &WorkspaceFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Workspace>> {
        let mut select = Select::new(&format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces w"));
        select.and_if(
            "w.id IN (SELECT m.workspace_id FROM memberships m WHERE m.user_id = ?)",
            filter.member.map(|id| Arg::Uuid(id.into())),
        );
        let (sql, args) = select.page("w.id", page);
        let rows: Vec<WorkspaceRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        Ok(Page::from_overfetch(convert_all(rows)?, page, |w: &Workspace| w.id.into()))
    }

    #[tracing::instrument(skip_all, fields(workspace = %id))]
    async fn update_workspace(
        &self,
        id: WorkspaceId,
        patch: &WorkspacePatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Workspace>> {
        let at = to_micros(patch.at.unwrap_or_else(callbase_domain::now));
        let (set_region, region) = match &patch.region {
            Some(region) => (true, region.as_ref().map(|r| r.as_str().to_owned())),
            None => (false, None),
        };
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE workspaces SET name = COALESCE($2, name), \
                 time_zone = COALESCE($3, time_zone), \
                 region = CASE WHEN $4 THEN $5 ELSE region END, updated_at = $6, \
                 recording_retention_days = CASE WHEN $7 THEN $8 ELSE recording_retention_days END, \
                 agent_call_visibility = COALESCE($9, agent_call_visibility) \
                 WHERE id = $1",
            )
            .bind(Uuid::from(id))
            .bind(patch.name.as_ref().map(|n| n.as_str()))
            .bind(patch.time_zone.as_ref().map(|t| t.as_str()))
            .bind(set_region)
            .bind(region)
            .bind(at)
            .bind(patch.recording_retention_days.is_some())
            .bind(patch.recording_retention_days.flatten().and_then(|d| i32::try_from(d).ok()))
            .bind(patch.agent_call_visibility.map(|v| v.as_str()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                insert_audit!(&mut *tx, audit)?;
                if let Some(zone) = &patch.time_zone {
                    let tz = time_zone(Some(zone.as_str().to_owned()))?;
                    rebuild_rollups!(tx, id, &tz);
                }
            }
            tx.commit().await?;
            changed
        });
        if changed == 0 {
            return Ok(None);
        }
        self.workspace(id).await
    }

    #[tracing::instrument(skip_all, fields(workspace = %id))]
    async fn delete_workspace(&self, id: WorkspaceId, audit: &AuditEntry) -> StoreResult<bool> {
        // The workspace's own log goes with it; the record of its deletion is instance-wide.
        let audit = AuditEntry { workspace_id: None, ..audit.clone() };
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            if matches!(self.pools, Pools::Sqlite { .. }) {
                sqlx::query(DROP_INBOX_OF_WORKSPACE).bind(Uuid::from(id)).execute(&mut *tx).await?;
            }
            let deleted = sqlx::query("DELETE FROM workspaces WHERE id = $1")
                .bind(Uuid::from(id))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted > 0 {
                insert_audit!(&mut *tx, &audit)?;
            }
            tx.commit().await?;
            Ok(deleted > 0)
        })
    }

    async fn workspace_stats(&self, id: WorkspaceId) -> StoreResult<WorkspaceStats> {
        let (members, api_tokens, audit_events, calls, talk_seconds): (i64, i64, i64, i64, i64) = read!(self, pool => {
            sqlx::query_as(
                "SELECT \
                 (SELECT COUNT(*) FROM memberships WHERE workspace_id = $1), \
                 (SELECT COUNT(*) FROM tokens WHERE workspace_id = $1 AND kind = 'api' \
                  AND revoked_at IS NULL), \
                 (SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1), \
                 (SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT) FROM call_rollups \
                  WHERE workspace_id = $1), \
                 (SELECT CAST(COALESCE(SUM(talk_seconds), 0) AS BIGINT) FROM call_rollups \
                  WHERE workspace_id = $1)",
            )
            .bind(Uuid::from(id))
            .fetch_one(pool)
            .await
        })?;
        let count = |n: i64| u64::try_from(n).unwrap_or_default();
        Ok(WorkspaceStats {
            members: count(members),
            api_tokens: count(api_tokens),
            audit_events: count(audit_events),
            calls: count(calls),
            talk_seconds: count(talk_seconds),
        })
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn memberships(&self, user: UserId) -> StoreResult<Vec<Membership>> {
        let sql = format!(
            "SELECT {WORKSPACE_COLUMNS}, m.role FROM memberships m \
             JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 \
             ORDER BY m.created_at, w.id"
        );
        let rows: Vec<MembershipRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(Uuid::from(user)).fetch_all(pool).await
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(Membership {
                    workspace: row.workspace.try_into()?,
                    role: parse_role(&row.role)?,
                })
            })
            .collect()
    }

    async fn role_in(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Option<Role>> {
        let role: Option<String> = read!(self, pool => {
            sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(user))
                .fetch_optional(pool)
                .await
        })?;
        role.as_deref().map(parse_role).transpose()
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace))]
    async fn list_members(
        &self,
        workspace: WorkspaceId,
        page: &PageRequest,
    ) -> StoreResult<Page<Member>> {
        let mut select = Select::new(&format!(
            "SELECT {USER_COLUMNS}, m.role, m.created_at AS joined_at FROM memberships m \
             JOIN users u ON u.id = m.user_id"
        ));
        select.and("m.workspace_id = ?", Arg::Uuid(workspace.into()));
        let (sql, args) = select.page("m.user_id", page);
        let rows: Vec<MemberRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        Ok(Page::from_overfetch(convert_all(rows)?, page, |m: &Member| m.user.id.into()))
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, user = %user))]
    async fn add_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: &AuditEntry,
    ) -> StoreResult<Member> {
        let at = to_micros(audit.at);
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(user))
            .bind(role.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique(ConflictKind::Member))?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        self.member(workspace, user).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, user = %user))]
    async fn set_member_role(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Member>> {
        let lock = self.lock_workspace_sql();
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(lock).bind(Uuid::from(workspace)).execute(&mut *tx).await?;
            if role != Role::Owner {
                let others: i64 = sqlx::query_scalar(COUNT_OTHER_OWNERS)
                    .bind(Uuid::from(workspace))
                    .bind(Uuid::from(user))
                    .fetch_one(&mut *tx)
                    .await?;
                let current: Option<String> = sqlx::query_scalar(
                    "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
                )
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(user))
                .fetch_optional(&mut *tx)
                .await?;
                if current.as_deref() == Some("owner") && others == 0 {
                    return Err(StoreError::LastOwner);
                }
            }
            let changed = sqlx::query(
                "UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(user))
            .bind(role.as_str())
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
        self.member(workspace, user).await
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, user = %user))]
    async fn remove_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let lock = self.lock_workspace_sql();
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(lock).bind(Uuid::from(workspace)).execute(&mut *tx).await?;
            let others: i64 = sqlx::query_scalar(COUNT_OTHER_OWNERS)
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(user))
                .fetch_one(&mut *tx)
                .await?;
            let deleted: Option<String> = sqlx::query_scalar(
                "DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2 RETURNING role",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(user))
            .fetch_optional(&mut *tx)
            .await?;
            if deleted.as_deref() == Some("owner") && others == 0 {
                // Dropping the transaction rolls the delete back.
                return Err(StoreError::LastOwner);
            }
            // The member's API tokens for this workspace stop working with the membership.
            sqlx::query(
                "UPDATE tokens SET revoked_at = $3 WHERE workspace_id = $1 AND user_id = $2 \
                 AND revoked_at IS NULL",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(user))
            .bind(to_micros(audit.at))
            .execute(&mut *tx)
            .await?;
            if deleted.is_some() {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            Ok(deleted.is_some())
        })
    }
}
