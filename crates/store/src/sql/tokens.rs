//! API tokens and login sessions, found by the SHA-256 of their secret.

use async_trait::async_trait;
use callbase_domain::{Timestamp, TokenId, to_micros};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::insert_audit;
use super::rows::{AUTH_SQL, AuthRow, TOKEN_COLUMNS, TokenRow, convert_all};
use super::select::{Arg, Select, bind_args};
use super::{SqlStore, read, write};
use crate::error::{ConflictKind, conflict_on_unique};
use crate::{
    AuditEntry, Authenticated, NewToken, Page, PageRequest, StoreError, StoreResult, Token,
    TokenFilter, TokenStore,
};

#[async_trait]
impl TokenStore for SqlStore {
    #[tracing::instrument(skip_all, fields(token = %token.id))]
    async fn create_token(
        &self,
        token: NewToken,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Token> {
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO tokens (id, kind, secret_hash, user_id, workspace_id, name, prefix, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(*token.id.as_uuid())
            .bind(token.kind.as_str())
            .bind(token.secret_hash.as_slice())
            .bind(Uuid::from(token.user_id))
            .bind(token.workspace_id.map(Uuid::from))
            .bind(token.name.as_str())
            .bind(token.prefix.as_str())
            .bind(to_micros(token.at))
            .bind(token.expires_at.map(to_micros))
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique(ConflictKind::Token))?;
            if let Some(audit) = audit {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
        });
        self.token(token.id).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    async fn token_by_secret_hash(&self, secret_hash: &[u8]) -> StoreResult<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = $1");
        let row: Option<TokenRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(secret_hash).fetch_optional(pool).await
        })?;
        row.map(Token::try_from).transpose()
    }

    async fn authenticate(&self, secret_hash: &[u8]) -> StoreResult<Option<Authenticated>> {
        let row: Option<AuthRow> = read!(self, pool => {
            sqlx::query_as(AUTH_SQL).bind(secret_hash).fetch_optional(pool).await
        })?;
        row.map(Authenticated::try_from).transpose()
    }

    async fn token(&self, id: TokenId) -> StoreResult<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1");
        let row: Option<TokenRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(Uuid::from(id)).fetch_optional(pool).await
        })?;
        row.map(Token::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_tokens(
        &self,
        filter: &TokenFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Token>> {
        let mut select = Select::new(&format!("SELECT {TOKEN_COLUMNS} FROM tokens"));
        select
            .and_if("kind = ?", filter.kind.map(|k| Arg::Text(k.as_str().to_owned())))
            .and_if("workspace_id = ?", filter.workspace.map(|id| Arg::Uuid(id.into())))
            .and_if("user_id = ?", filter.user.map(|id| Arg::Uuid(id.into())));
        let (sql, args) = select.page("id", page);
        let rows: Vec<TokenRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        Ok(Page::from_overfetch(convert_all(rows)?, page, |t: &Token| t.id.into()))
    }

    async fn touch_token(&self, id: TokenId, at: Timestamp, granularity: i64) -> StoreResult<()> {
        let at = to_micros(at);
        write!(self, pool => {
            sqlx::query(
                "UPDATE tokens SET last_used_at = $2 WHERE id = $1 \
                 AND (last_used_at IS NULL OR last_used_at < $3)",
            )
            .bind(Uuid::from(id))
            .bind(at)
            .bind(at.saturating_sub(granularity))
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(token = %id))]
    async fn revoke_token(
        &self,
        id: TokenId,
        at: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Option<Token>> {
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
            )
            .bind(Uuid::from(id))
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if let (true, Some(audit)) = (changed > 0, audit) {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            changed
        });
        if changed == 0 {
            return Ok(None);
        }
        self.token(id).await
    }
}
