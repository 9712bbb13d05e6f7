//! Users: accounts and credentials.

use async_trait::async_trait;
use callbase_domain::{Email, UserId, to_micros};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::insert_audit;
use super::rows::{CredentialsRow, USER_COLUMNS, UserRow, convert_all};
use super::select::{Arg, Select, bind_args};
use super::{SqlStore, read, write};
use crate::error::{ConflictKind, conflict_on_unique};
use crate::{
    AuditEntry, NewUser, Page, PageRequest, StoreResult, User, UserFilter, UserPatch, UserStore,
};

#[async_trait]
impl UserStore for SqlStore {
    #[tracing::instrument(skip_all, fields(user = %user.id))]
    async fn create_user(&self, user: NewUser, audit: &AuditEntry) -> StoreResult<User> {
        let at = to_micros(user.at);
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO users (id, email, name, password_hash, is_superuser, status, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)",
            )
            .bind(*user.id.as_uuid())
            .bind(user.email.as_str())
            .bind(user.name.as_str())
            .bind(user.password_hash.as_str())
            .bind(user.is_superuser)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique(ConflictKind::Email))?;
            if let Some((workspace, role)) = user.membership {
                sqlx::query(
                    "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(Uuid::from(workspace))
                .bind(*user.id.as_uuid())
                .bind(role.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        self.user(user.id).await?.ok_or(crate::StoreError::Database(sqlx::Error::RowNotFound))
    }

    #[tracing::instrument(skip_all, fields(user = %id))]
    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let row: Option<UserRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(Uuid::from(id)).fetch_optional(pool).await
        })?;
        row.map(User::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn user_credentials(&self, email: &Email) -> StoreResult<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1");
        let row: Option<CredentialsRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(email.as_str()).fetch_optional(pool).await
        })?;
        row.map(|row| Ok((User::try_from(row.user)?, row.password_hash))).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_users(&self, filter: &UserFilter, page: &PageRequest) -> StoreResult<Page<User>> {
        let mut select = Select::new(&format!("SELECT {USER_COLUMNS} FROM users u"));
        select
            .and_if(
                "u.id IN (SELECT m.user_id FROM memberships m WHERE m.workspace_id = ?)",
                filter.workspace.map(|id| Arg::Uuid(id.into())),
            )
            .and_if("u.status = ?", filter.status.map(|s| Arg::Text(s.as_str().to_owned())));
        let (sql, args) = select.page("u.id", page);
        let rows: Vec<UserRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        Ok(Page::from_overfetch(convert_all(rows)?, page, |u: &User| u.id.into()))
    }

    #[tracing::instrument(skip_all, fields(user = %id))]
    async fn update_user(
        &self,
        id: UserId,
        patch: &UserPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<User>> {
        let at = to_micros(patch.at.unwrap_or_else(callbase_domain::now));
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE users SET name = COALESCE($2, name), \
                 password_hash = COALESCE($3, password_hash), \
                 is_superuser = COALESCE($4, is_superuser), status = COALESCE($5, status), \
                 updated_at = $6 WHERE id = $1",
            )
            .bind(Uuid::from(id))
            .bind(patch.name.as_ref().map(|n| n.as_str()))
            .bind(patch.password_hash.as_deref())
            .bind(patch.is_superuser)
            .bind(patch.status.map(|s| s.as_str()))
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                if let Some(end) = patch.end_sessions {
                    let keep = end.keep.map(Uuid::from).unwrap_or_else(Uuid::nil);
                    sqlx::query(
                        "UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 \
                         AND kind = 'session' AND revoked_at IS NULL AND id <> $3",
                    )
                    .bind(Uuid::from(id))
                    .bind(at)
                    .bind(keep)
                    .execute(&mut *tx)
                    .await?;
                }
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            changed
        });
        if changed == 0 {
            return Ok(None);
        }
        self.user(id).await
    }

    async fn count_superusers(&self) -> StoreResult<u64> {
        let count: i64 = read!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE is_superuser AND status = 'active'",
            )
            .fetch_one(pool)
            .await
        })?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let count: i64 = read!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await
        })?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
