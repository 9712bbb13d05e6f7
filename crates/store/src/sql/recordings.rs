//! Recordings: their rows, and the call columns that follow them (`has_recording`,
//! `recorded_seconds`, `duration`), kept in step in the same transaction.

use async_trait::async_trait;
use callbase_domain::recording::{MediaFacts, Recording, RecordingStatus};
use callbase_domain::{CallId, RecordingId, Timestamp, WorkspaceId, from_micros, to_micros};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::insert_audit;
use super::rows::convert_all;
use super::select::{Arg, Select, bind_args};
use super::{SqlStore, read, write};
use crate::Admin;
use crate::{
    AuditEntry, Page, PageRequest, RecordingChange, RecordingFilter, StoreError, StoreResult,
};

const RECORDING_COLUMNS: &str = "r.id, r.workspace_id, r.call_id, r.uploaded_by, r.status, \
     r.storage_key, r.format, r.codec, r.duration_ms, r.sample_count, r.sample_rate, \
     r.channels, r.bitrate, r.size_bytes, r.sha256, r.external_url, r.failure, r.notes, \
     r.started_at, r.ended_at, r.created_at, r.updated_at, \
     EXISTS (SELECT 1 FROM transcripts t WHERE t.recording_id = r.id) AS has_transcript";

/// Recomputes what a call shows of its recordings: recorded when any has bytes, its
/// recorded length the longest one's, and its duration from that when it has no talk time.
const REFRESH_CALL: &str = "UPDATE calls SET \
     has_recording = EXISTS (SELECT 1 FROM recordings r WHERE r.call_id = calls.id \
         AND r.storage_key IS NOT NULL), \
     recorded_seconds = (SELECT MAX((r.duration_ms + 500) / 1000) FROM recordings r \
         WHERE r.call_id = calls.id), \
     duration = COALESCE(talk_seconds, (SELECT MAX((r.duration_ms + 500) / 1000) \
         FROM recordings r WHERE r.call_id = calls.id), 0) \
     WHERE id = $1";

/// Binds the ten media columns (`storage_key` … `sha256`) of `$media`, an
/// `Option<&MediaFacts>`, in table order.
macro_rules! bind_media {
    ($query:expr, $media:expr) => {{
        let media: Option<&MediaFacts> = $media;
        $query
            .bind(media.map(|m| m.storage_key.as_str()))
            .bind(media.map(|m| m.format.as_str()))
            .bind(media.map(|m| m.codec.as_str()))
            .bind(media.map(|m| m.duration_ms))
            .bind(media.and_then(|m| m.sample_count))
            .bind(media.map(|m| m.sample_rate))
            .bind(media.map(|m| m.channels))
            .bind(media.map(|m| m.bitrate))
            .bind(media.map(|m| m.size_bytes))
            .bind(media.map(|m| m.sha256.as_str()))
    }};
}

#[derive(sqlx::FromRow)]
struct RecordingRow {
    id: Uuid,
    workspace_id: Uuid,
    call_id: Uuid,
    uploaded_by: Option<Uuid>,
    status: String,
    storage_key: Option<String>,
    format: Option<String>,
    codec: Option<String>,
    duration_ms: Option<i64>,
    sample_count: Option<i64>,
    sample_rate: Option<i32>,
    channels: Option<i32>,
    bitrate: Option<i64>,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    external_url: Option<String>,
    failure: Option<String>,
    notes: Option<String>,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    has_transcript: bool,
}

impl TryFrom<RecordingRow> for Recording {
    type Error = StoreError;

    fn try_from(row: RecordingRow) -> StoreResult<Self> {
        let media = match row.storage_key {
            None => None,
            Some(storage_key) => {
                let missing = |column| StoreError::corrupt(column, "missing beside storage_key");
                Some(MediaFacts {
                    format: row.format.ok_or_else(|| missing("recordings.format"))?,
                    codec: row.codec.ok_or_else(|| missing("recordings.codec"))?,
                    duration_ms: row
                        .duration_ms
                        .ok_or_else(|| missing("recordings.duration_ms"))?,
                    sample_count: row.sample_count,
                    sample_rate: row
                        .sample_rate
                        .ok_or_else(|| missing("recordings.sample_rate"))?,
                    channels: row.channels.ok_or_else(|| missing("recordings.channels"))?,
                    bitrate: row.bitrate.ok_or_else(|| missing("recordings.bitrate"))?,
                    size_bytes: row.size_bytes.ok_or_else(|| missing("recordings.size_bytes"))?,
                    sha256: row.sha256.ok_or_else(|| missing("recordings.sha256"))?,
                    storage_key,
                })
            }
        };
        Ok(Self {
            id: row.id.into(),
            workspace_id: row.workspace_id.into(),
            call_id: row.call_id.into(),
            uploaded_by: row.uploaded_by.map(Into::into),
            status: row
                .status
                .parse::<RecordingStatus>()
                .map_err(|e| StoreError::corrupt("recordings.status", e))?,
            media,
            external_url: row.external_url,
            failure: row.failure,
            notes: row.notes,
            started_at: row.started_at.map(from_micros),
            ended_at: row.ended_at.map(from_micros),
            has_transcript: row.has_transcript,
            created_at: from_micros(row.created_at),
            updated_at: from_micros(row.updated_at),
        })
    }
}

impl SqlStore {
    async fn recordings_where(
        &self,
        select: Select,
        page: &PageRequest,
    ) -> StoreResult<Page<Recording>> {
        let (sql, args) = select.page("r.id", page);
        let rows: Vec<RecordingRow> = read!(self, pool => {
            bind_args!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await
        })?;
        Ok(Page::from_overfetch(convert_all(rows)?, page, |r: &Recording| r.id.into()))
    }
}

fn base_select() -> Select {
    Select::new(&format!("SELECT {RECORDING_COLUMNS} FROM recordings r"))
}

#[async_trait]
impl crate::RecordingStore for SqlStore {
    #[tracing::instrument(skip_all, fields(recording = %recording.id))]
    async fn create_recording(
        &self,
        recording: &Recording,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Recording>> {
        let media = recording.media.as_ref();
        let inserted = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let call_here: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM calls WHERE workspace_id = $1 AND id = $2",
            )
            .bind(Uuid::from(recording.workspace_id))
            .bind(Uuid::from(recording.call_id))
            .fetch_optional(&mut *tx)
            .await?;
            if call_here.is_none() {
                return Ok(None);
            }
            let query = sqlx::query(
                "INSERT INTO recordings (id, workspace_id, call_id, uploaded_by, status, \
                 storage_key, format, codec, duration_ms, sample_count, sample_rate, channels, \
                 bitrate, size_bytes, sha256, external_url, failure, notes, started_at, ended_at, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
            )
            .bind(Uuid::from(recording.id))
            .bind(Uuid::from(recording.workspace_id))
            .bind(Uuid::from(recording.call_id))
            .bind(recording.uploaded_by.map(Uuid::from))
            .bind(recording.status.as_str());
            bind_media!(query, media)
            .bind(recording.external_url.as_deref())
            .bind(recording.failure.as_deref())
            .bind(recording.notes.as_deref())
            .bind(recording.started_at.map(to_micros))
            .bind(recording.ended_at.map(to_micros))
            .bind(to_micros(recording.created_at))
            .bind(to_micros(recording.updated_at))
            .execute(&mut *tx)
            .await?;
            if media.is_some() {
                sqlx::query(REFRESH_CALL).bind(Uuid::from(recording.call_id)).execute(&mut *tx).await?;
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            true
        });
        if !inserted {
            return Ok(None);
        }
        self.recording(recording.workspace_id, recording.id).await
    }

    async fn recording(
        &self,
        workspace: WorkspaceId,
        id: RecordingId,
    ) -> StoreResult<Option<Recording>> {
        let sql = format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings r WHERE r.workspace_id = $1 AND r.id = $2"
        );
        let row: Option<RecordingRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(id))
                .fetch_optional(pool)
                .await
        })?;
        row.map(Recording::try_from).transpose()
    }

    async fn list_recordings(
        &self,
        workspace: WorkspaceId,
        filter: &RecordingFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Recording>> {
        let mut select = base_select();
        select
            .and("r.workspace_id = ?", Arg::Uuid(workspace.into()))
            .and_if("r.call_id = ?", filter.call_id.map(|id| Arg::Uuid(id.into())))
            .and_if(
                "r.call_id IN (SELECT c.id FROM calls c WHERE c.lead_id = ?)",
                filter.lead_id.map(Arg::Uuid),
            )
            .and_if(
                "r.uploaded_by = ? OR EXISTS (SELECT 1 FROM calls c WHERE c.id = r.call_id \
                 AND c.user_id = ?)",
                filter.user_id.map(|id| Arg::Uuid(id.into())),
            )
            .and_if("r.created_at >= ?", filter.from.map(|at| Arg::Int(to_micros(at))))
            .and_if("r.created_at < ?", filter.to.map(|at| Arg::Int(to_micros(at))))
            .and_if("r.format = ?", filter.format.clone().map(Arg::Text))
            .and_if("r.duration_ms >= ?", filter.min_duration_ms.map(Arg::Int))
            .and_if("r.status = ?", filter.status.map(|s| Arg::Text(s.as_str().to_owned())));
        self.recordings_where(select, page).await
    }

    #[tracing::instrument(skip_all, fields(recording = %id))]
    async fn update_recording(
        &self,
        workspace: WorkspaceId,
        id: RecordingId,
        change: &RecordingChange,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Option<Recording>> {
        let media = change.media.as_ref();
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let query = sqlx::query_scalar(
                "UPDATE recordings SET \
                 notes = CASE WHEN $3 THEN $4 ELSE notes END, \
                 status = COALESCE($5, status), \
                 failure = CASE WHEN $6 THEN $7 ELSE failure END, \
                 external_url = CASE WHEN $8 THEN $9 ELSE external_url END, \
                 ended_at = COALESCE($10, ended_at), \
                 storage_key = CASE WHEN $11 THEN $12 ELSE storage_key END, \
                 format = CASE WHEN $11 THEN $13 ELSE format END, \
                 codec = CASE WHEN $11 THEN $14 ELSE codec END, \
                 duration_ms = CASE WHEN $11 THEN $15 ELSE duration_ms END, \
                 sample_count = CASE WHEN $11 THEN $16 ELSE sample_count END, \
                 sample_rate = CASE WHEN $11 THEN $17 ELSE sample_rate END, \
                 channels = CASE WHEN $11 THEN $18 ELSE channels END, \
                 bitrate = CASE WHEN $11 THEN $19 ELSE bitrate END, \
                 size_bytes = CASE WHEN $11 THEN $20 ELSE size_bytes END, \
                 sha256 = CASE WHEN $11 THEN $21 ELSE sha256 END, \
                 updated_at = $22 \
                 WHERE workspace_id = $1 AND id = $2 RETURNING call_id",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(id))
            .bind(change.notes.is_some())
            .bind(change.notes.clone().flatten())
            .bind(change.status.map(RecordingStatus::as_str))
            .bind(change.failure.is_some())
            .bind(change.failure.clone().flatten())
            .bind(change.external_url.is_some())
            .bind(change.external_url.clone().flatten())
            .bind(change.ended_at.map(to_micros))
            .bind(media.is_some());
            let call: Option<Uuid> = bind_media!(query, media)
            .bind(to_micros(change.at))
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(call) = call {
                if media.is_some() {
                    sqlx::query(REFRESH_CALL).bind(call).execute(&mut *tx).await?;
                }
                if let Some(audit) = audit {
                    insert_audit!(&mut *tx, audit)?;
                }
            }
            tx.commit().await?;
            call.is_some()
        });
        if !changed {
            return Ok(None);
        }
        self.recording(workspace, id).await
    }

    #[tracing::instrument(skip_all, fields(recording = %id))]
    async fn delete_recording(
        &self,
        workspace: WorkspaceId,
        id: RecordingId,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Recording>> {
        let Some(recording) = self.recording(workspace, id).await? else {
            return Ok(None);
        };
        let deleted = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let deleted = sqlx::query("DELETE FROM recordings WHERE workspace_id = $1 AND id = $2")
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(id))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted > 0 {
                sqlx::query(REFRESH_CALL)
                    .bind(Uuid::from(recording.call_id))
                    .execute(&mut *tx)
                    .await?;
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            deleted > 0
        });
        Ok(deleted.then_some(recording))
    }

    async fn recordings_created_before(
        &self,
        workspace: WorkspaceId,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Recording>> {
        let sql = format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings r WHERE r.workspace_id = $1 \
             AND r.created_at < $2 ORDER BY r.created_at, r.id LIMIT $3"
        );
        let rows: Vec<RecordingRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(to_micros(before))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        })?;
        convert_all(rows)
    }

    async fn retention_policies(&self) -> StoreResult<Vec<(WorkspaceId, u32)>> {
        let rows: Vec<(Uuid, i32)> = read!(self, pool => {
            sqlx::query_as(
                "SELECT id, recording_retention_days FROM workspaces \
                 WHERE recording_retention_days IS NOT NULL ORDER BY id",
            )
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|(id, days)| {
                u32::try_from(days)
                    .map(|days| (id.into(), days))
                    .map_err(|e| StoreError::corrupt("workspaces.recording_retention_days", e))
            })
            .collect()
    }

    async fn put_transcript(
        &self,
        workspace: WorkspaceId,
        transcript: &callbase_domain::recording::Transcript,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Option<callbase_domain::recording::Transcript>> {
        let stored = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let call: Option<Uuid> = sqlx::query_scalar(
                "SELECT call_id FROM recordings WHERE workspace_id = $1 AND id = $2",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(transcript.recording_id))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(call) = call else {
                return Ok(None);
            };
            super::transcripts::replace_transcript!(tx, workspace, CallId::from(call), transcript, self.backend());
            if let Some(audit) = audit {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            true
        });
        if !stored {
            return Ok(None);
        }
        self.transcript(workspace, transcript.recording_id).await
    }

    async fn transcript(
        &self,
        workspace: WorkspaceId,
        recording: RecordingId,
    ) -> StoreResult<Option<callbase_domain::recording::Transcript>> {
        self.load_transcript(workspace, recording).await
    }

    async fn search_transcripts(
        &self,
        workspace: WorkspaceId,
        q: &str,
        limit: u32,
    ) -> StoreResult<Vec<crate::TranscriptHit>> {
        self.transcript_hits(workspace, q, limit).await
    }

    async fn server_key(&self, name: &str, generated: &[u8]) -> StoreResult<Vec<u8>> {
        write!(self, pool => {
            sqlx::query(
                "INSERT INTO server_keys (name, value, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(generated)
            .bind(to_micros(callbase_domain::now()))
            .execute(pool)
            .await?;
            let value: Vec<u8> = sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?;
            Ok(value)
        })
    }
}
