//! The do-not-call list: numbers and prefixes, found for a number with one indexed lookup of
//! all its prefixes.

use async_trait::async_trait;
use callbase_domain::{
    BlockId, BlockPattern, E164, Timestamp, WorkspaceId, from_micros, is_blocked, to_micros,
};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::insert_audit;
use super::rows::convert_all;
use super::select::{Arg, Select, bind_args};
use super::{SqlStore, read, write};
use crate::error::{ConflictKind, conflict_on_unique};
use crate::{
    AuditEntry, BlockEntry, BlockPatch, BlocklistStore, Page, PageRequest, StoreError, StoreResult,
};

const BLOCK_COLUMNS: &str =
    "b.id, b.workspace_id, b.kind, b.pattern, b.reason, b.expires_at, b.created_by, b.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct BlockRow {
    id: Uuid,
    workspace_id: Uuid,
    kind: String,
    pattern: String,
    reason: Option<String>,
    expires_at: Option<i64>,
    created_by: Option<Uuid>,
    created_at: i64,
}

impl TryFrom<BlockRow> for BlockEntry {
    type Error = StoreError;

    fn try_from(row: BlockRow) -> StoreResult<Self> {
        let pattern = match row.kind.as_str() {
            "number" => E164::parse(&format!("+{}", row.pattern), None)
                .map(BlockPattern::Number)
                .map_err(|e| StoreError::corrupt("blocklist.pattern", e))?,
            _ => BlockPattern::prefix(&format!("+{}", row.pattern))
                .map_err(|e| StoreError::corrupt("blocklist.pattern", e))?,
        };
        Ok(Self {
            id: row.id.into(),
            workspace_id: row.workspace_id.into(),
            pattern,
            reason: row.reason,
            expires_at: row.expires_at.map(from_micros),
            created_by: row.created_by.map(Into::into),
            created_at: from_micros(row.created_at),
        })
    }
}

/// The stored kind and digits of a pattern.
fn kind_and_digits(pattern: &BlockPattern) -> (&'static str, &str) {
    match pattern {
        BlockPattern::Number(number) => ("number", number.digits()),
        BlockPattern::Prefix(digits) => ("prefix", digits.as_str()),
    }
}

#[async_trait]
impl BlocklistStore for SqlStore {
    #[tracing::instrument(skip_all, fields(entry = %entry.id))]
    async fn create_block(
        &self,
        entry: &BlockEntry,
        audit: &AuditEntry,
    ) -> StoreResult<BlockEntry> {
        let (kind, digits) = kind_and_digits(&entry.pattern);
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO blocklist (id, workspace_id, kind, pattern, reason, expires_at, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::from(entry.id))
            .bind(Uuid::from(entry.workspace_id))
            .bind(kind)
            .bind(digits)
            .bind(entry.reason.as_deref())
            .bind(entry.expires_at.map(to_micros))
            .bind(entry.created_by.map(Uuid::from))
            .bind(to_micros(entry.created_at))
            .execute(&mut *tx)
            .await
            .map_err(conflict_on_unique(ConflictKind::BlocklistEntry))?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        Ok(entry.clone())
    }

    async fn block(&self, workspace: WorkspaceId, id: BlockId) -> StoreResult<Option<BlockEntry>> {
        let sql = format!(
            "SELECT {BLOCK_COLUMNS} FROM blocklist b WHERE b.workspace_id = $1 AND b.id = $2"
        );
        let row: Option<BlockRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(id))
                .fetch_optional(pool)
                .await
        })?;
        row.map(BlockEntry::try_from).transpose()
    }

    async fn list_blocks(
        &self,
        workspace: WorkspaceId,
        page: &PageRequest,
    ) -> StoreResult<Page<BlockEntry>> {
        let mut select = Select::new(&format!("SELECT {BLOCK_COLUMNS} FROM blocklist b"));
        select.and("b.workspace_id = ?", Arg::Uuid(workspace.into()));
        let (sql, args) = select.page("b.id", page);
        let rows: Vec<BlockRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        Ok(Page::from_overfetch(convert_all(rows)?, page, |b: &BlockEntry| b.id.into()))
    }

    #[tracing::instrument(skip_all, fields(entry = %id))]
    async fn update_block(
        &self,
        workspace: WorkspaceId,
        id: BlockId,
        patch: &BlockPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<BlockEntry>> {
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE blocklist SET \
                 reason = CASE WHEN $3 THEN $4 ELSE reason END, \
                 expires_at = CASE WHEN $5 THEN $6 ELSE expires_at END \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(id))
            .bind(patch.reason.is_some())
            .bind(patch.reason.clone().flatten())
            .bind(patch.expires_at.is_some())
            .bind(patch.expires_at.flatten().map(to_micros))
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
        self.block(workspace, id).await
    }

    #[tracing::instrument(skip_all, fields(entry = %id))]
    async fn delete_block(
        &self,
        workspace: WorkspaceId,
        id: BlockId,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let deleted = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let deleted = sqlx::query("DELETE FROM blocklist WHERE workspace_id = $1 AND id = $2")
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

    async fn blocking_entries(
        &self,
        workspace: WorkspaceId,
        number: &E164,
        at: Timestamp,
    ) -> StoreResult<Vec<BlockEntry>> {
        let (sql, args) = candidates(workspace, &[number], at);
        let rows: Vec<BlockRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        let entries: Vec<BlockEntry> = convert_all(rows)?;
        Ok(entries.into_iter().filter(|entry| entry.pattern.matches(number)).collect())
    }
}

/// Numbers per candidate lookup: up to 15 prefixes each stay far below either database's
/// parameter limit.
pub(crate) const NUMBERS_PER_LOOKUP: usize = 50;

/// The statement reading the entries of `workspace` in force at `at` that may block any of
/// `numbers`: one indexed lookup of all their prefixes. Which really do is the domain's
/// rule ([`BlockPattern::matches`]).
pub(crate) fn candidates(
    workspace: WorkspaceId,
    numbers: &[&E164],
    at: Timestamp,
) -> (String, Vec<Arg>) {
    let mut prefixes: Vec<&str> = numbers
        .iter()
        .flat_map(|number| {
            let digits = number.digits();
            (1..=digits.len()).map(move |end| &digits[..end])
        })
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    let placeholders = vec!["?"; prefixes.len()].join(", ");
    let mut select = Select::new(&format!("SELECT {BLOCK_COLUMNS} FROM blocklist b"));
    select
        .and("b.workspace_id = ?", Arg::Uuid(workspace.into()))
        .and_each(
            &format!("b.pattern IN ({placeholders})"),
            prefixes.iter().map(|p| Arg::Text((*p).to_owned())).collect(),
        )
        .and("b.expires_at IS NULL OR b.expires_at > ?", Arg::Int(to_micros(at)));
    select.finish()
}

/// Which of `numbers` the candidate `rows` block at `at`.
pub(crate) fn blocked_by(
    rows: Vec<BlockRow>,
    numbers: &[&E164],
    at: Timestamp,
) -> StoreResult<Vec<E164>> {
    let entries: Vec<BlockEntry> = convert_all(rows)?;
    Ok(numbers
        .iter()
        .filter(|number| {
            is_blocked(entries.iter().map(|entry| (&entry.pattern, entry.expires_at)), number, at)
        })
        .map(|number| (*number).clone())
        .collect())
}

/// Which of `$numbers` (`&[&E164]`) are on the do-not-call list of `$workspace` at `$at`,
/// read through `$executor` (inside a write's transaction); evaluates to
/// `StoreResult<Vec<E164>>`.
macro_rules! blocked_numbers {
    ($executor:expr, $workspace:expr, $numbers:expr, $at:expr) => {
        async {
            let numbers: &[&callbase_domain::E164] = $numbers;
            let mut blocked = Vec::new();
            for chunk in numbers.chunks($crate::sql::blocklist::NUMBERS_PER_LOOKUP) {
                let (sql, args) = $crate::sql::blocklist::candidates($workspace, chunk, $at);
                let rows: Vec<$crate::sql::blocklist::BlockRow> =
                    $crate::sql::select::bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), args)
                        .fetch_all(&mut *$executor)
                        .await?;
                blocked.extend($crate::sql::blocklist::blocked_by(rows, chunk, $at)?);
            }
            Ok::<_, $crate::StoreError>(blocked)
        }
        .await
    };
}
pub(crate) use blocked_numbers;
