//! Transcripts: segments stored one row each, so a search finds the moment something was
//! said; full-text indexed by FTS5 (SQLite) or a tsvector column (PostgreSQL).

use callbase_domain::recording::{Transcript, TranscriptSegment};
use callbase_domain::{RecordingId, WorkspaceId, from_micros};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::call_query::fts5_query;
use super::{Pools, SqlStore, read};
use crate::{StoreResult, TranscriptHit};

/// Segments per INSERT statement (9 parameters each).
pub(crate) const SEGMENTS_PER_STATEMENT: usize = 500;
pub(crate) const SEGMENT_INSERT_HEAD: &str = "INSERT INTO transcript_segments (recording_id, \
     workspace_id, call_id, seq, speaker, start_ms, end_ms, text, confidence) VALUES ";

/// Where a match starts and ends in the text the database returns; never in real text
/// (Unicode private use), replaced by `<mark>` after the rest is HTML-escaped.
const MARK_START: &str = "\u{E000}";
const MARK_END: &str = "\u{E001}";

/// Replaces the transcript of `$transcript.recording_id` through `$tx`.
macro_rules! replace_transcript {
    ($tx:ident, $workspace:expr, $call:expr, $transcript:expr, $backend:expr) => {{
        let transcript: &callbase_domain::recording::Transcript = $transcript;
        let recording = uuid::Uuid::from(transcript.recording_id);
        sqlx::query(
            "INSERT INTO transcripts (recording_id, workspace_id, language, source, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (recording_id) DO UPDATE \
             SET language = excluded.language, source = excluded.source, \
             updated_at = excluded.updated_at",
        )
        .bind(recording)
        .bind(uuid::Uuid::from($workspace))
        .bind(transcript.language.as_deref())
        .bind(transcript.source.as_str())
        .bind(callbase_domain::to_micros(transcript.created_at))
        .bind(callbase_domain::to_micros(transcript.updated_at))
        .execute(&mut *$tx)
        .await?;
        sqlx::query("DELETE FROM transcript_segments WHERE recording_id = $1")
            .bind(recording)
            .execute(&mut *$tx)
            .await?;
        let numbered = $backend == $crate::sql::Backend::Postgres;
        let call = uuid::Uuid::from($call);
        for (chunk_index, chunk) in
            transcript.segments.chunks($crate::sql::transcripts::SEGMENTS_PER_STATEMENT).enumerate()
        {
            let sql = $crate::sql::import::multi_row_sql(
                $crate::sql::transcripts::SEGMENT_INSERT_HEAD,
                9,
                chunk.len(),
                numbered,
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, segment) in chunk.iter().enumerate() {
                let seq = chunk_index * $crate::sql::transcripts::SEGMENTS_PER_STATEMENT + i;
                query = query
                    .bind(recording)
                    .bind(uuid::Uuid::from($workspace))
                    .bind(call)
                    .bind(i32::try_from(seq).unwrap_or(i32::MAX))
                    .bind(segment.speaker.as_deref())
                    .bind(segment.start_ms)
                    .bind(segment.end_ms)
                    .bind(segment.text.as_str())
                    .bind(segment.confidence);
            }
            query.execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use replace_transcript;

#[derive(sqlx::FromRow)]
struct SegmentRow {
    speaker: Option<String>,
    start_ms: i64,
    end_ms: i64,
    text: String,
    confidence: Option<f64>,
}

impl From<SegmentRow> for TranscriptSegment {
    fn from(row: SegmentRow) -> Self {
        Self {
            speaker: row.speaker,
            start_ms: row.start_ms,
            end_ms: row.end_ms,
            text: row.text,
            confidence: row.confidence,
        }
    }
}

#[derive(sqlx::FromRow)]
struct HitRow {
    recording_id: Uuid,
    call_id: Uuid,
    #[sqlx(flatten)]
    segment: SegmentRow,
    marked: String,
}

impl SqlStore {
    pub(crate) async fn load_transcript(
        &self,
        workspace: WorkspaceId,
        recording: RecordingId,
    ) -> StoreResult<Option<Transcript>> {
        let head: Option<(Option<String>, String, i64, i64)> = read!(self, pool => {
            sqlx::query_as(
                "SELECT language, source, created_at, updated_at FROM transcripts \
                 WHERE workspace_id = $1 AND recording_id = $2",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(recording))
            .fetch_optional(pool)
            .await
        })?;
        let Some((language, source, created_at, updated_at)) = head else {
            return Ok(None);
        };
        let rows: Vec<SegmentRow> = read!(self, pool => {
            sqlx::query_as(
                "SELECT speaker, start_ms, end_ms, text, confidence FROM transcript_segments \
                 WHERE recording_id = $1 ORDER BY seq",
            )
            .bind(Uuid::from(recording))
            .fetch_all(pool)
            .await
        })?;
        Ok(Some(Transcript {
            recording_id: recording,
            language,
            source,
            segments: rows.into_iter().map(Into::into).collect(),
            created_at: from_micros(created_at),
            updated_at: from_micros(updated_at),
        }))
    }

    pub(crate) async fn transcript_hits(
        &self,
        workspace: WorkspaceId,
        q: &str,
        limit: u32,
    ) -> StoreResult<Vec<TranscriptHit>> {
        let limit = i64::from(limit.clamp(1, 200));
        let rows: Vec<HitRow> = match &self.pools {
            Pools::Sqlite { read, .. } => {
                sqlx::query_as(
                    "SELECT s.recording_id, s.call_id, s.speaker, s.start_ms, s.end_ms, s.text, \
                     s.confidence, highlight(transcript_fts, 0, $1, $2) AS marked \
                     FROM transcript_fts JOIN transcript_segments s \
                     ON s.id = transcript_fts.rowid \
                     WHERE transcript_fts MATCH $3 AND s.workspace_id = $4 \
                     ORDER BY s.id DESC LIMIT $5",
                )
                .bind(MARK_START)
                .bind(MARK_END)
                .bind(fts5_query(q))
                .bind(Uuid::from(workspace))
                .bind(limit)
                .fetch_all(read)
                .await?
            }
            Pools::Postgres(pool) => {
                let options =
                    format!("StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true");
                sqlx::query_as(AssertSqlSafe(
                    "SELECT s.recording_id, s.call_id, s.speaker, s.start_ms, s.end_ms, s.text, \
                     s.confidence, ts_headline('simple', s.text, plainto_tsquery('simple', $1), $2) \
                     AS marked FROM transcript_segments s \
                     WHERE s.workspace_id = $3 AND s.search @@ plainto_tsquery('simple', $1) \
                     ORDER BY s.id DESC LIMIT $4",
                ))
                .bind(q)
                .bind(options)
                .bind(Uuid::from(workspace))
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|row| TranscriptHit {
                recording_id: row.recording_id.into(),
                call_id: row.call_id.into(),
                snippet: marked_snippet(&row.marked),
                segment: row.segment.into(),
            })
            .collect())
    }
}

/// HTML-escapes `marked` and turns the match markers into `<mark>` elements.
fn marked_snippet(marked: &str) -> String {
    let mut out = String::with_capacity(marked.len() + 32);
    for c in marked.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{E000}' => out.push_str("<mark>"),
            '\u{E001}' => out.push_str("</mark>"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::marked_snippet;

    #[test]
    fn snippets_escape_text_and_mark_matches() {
        assert_eq!(
            marked_snippet("say <b>\u{E000}refund\u{E001}</b> & more"),
            "say &lt;b&gt;<mark>refund</mark>&lt;/b&gt; &amp; more"
        );
    }
}
