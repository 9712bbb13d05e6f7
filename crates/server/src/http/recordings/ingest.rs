//! Receiving media: bytes stream into a temporary file (hashed and counted as they come,
//! never held in memory), the file's facts are read from its bytes, then it moves to
//! storage under a generated key. Whatever fails, nothing is left behind.
//!
//! Probing is CPU work on a blocking thread (REL-6, PERF-11): it waits for one of a process-wide
//! number of slots (one per core), runs within the budget its file's size allows, and is
//! cancelled when the request is gone (the client hung up or the request timed out) instead of
//! running on for nobody.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use callbase_domain::RecordingId;
use callbase_domain::recording::MediaFacts;
use callbase_media::probe::{self, Format, ProbeBudget, ProbeError};
use callbase_media::storage::StorageKey;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// Removes uploads a previous run left half-received (it stopped or crashed mid-upload).
/// Called once at start-up, before the server takes requests.
///
/// # Errors
/// When the directory cannot be read.
pub fn clear_abandoned_uploads(data_dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(data_dir.join("tmp")) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "upload")
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}

/// A file that is removed when dropped, unless storage took it first.
#[derive(Debug)]
pub(crate) struct TempPath(PathBuf);

impl TempPath {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        // After a successful move to storage the file is gone already.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Bytes being received into a temporary file.
pub(crate) struct Incoming {
    temp: TempPath,
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

/// A complete file, its size and SHA-256.
pub(crate) struct Received {
    temp: TempPath,
    size: u64,
    sha256: String,
}

impl Incoming {
    pub(crate) async fn start(state: &AppState) -> ApiResult<Self> {
        let dir = state.settings.data_dir.join("tmp");
        tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
        // The name is ours: nothing the client sent reaches the filesystem.
        let temp = TempPath(dir.join(format!("{}.upload", uuid::Uuid::now_v7())));
        let file = tokio::fs::File::create(temp.path()).await.map_err(ApiError::internal)?;
        Ok(Self {
            temp,
            file,
            hasher: Sha256::new(),
            size: 0,
            limit: state.settings.recording_max_bytes,
        })
    }

    pub(crate) async fn write(&mut self, chunk: &[u8]) -> ApiResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(too_large(self.limit));
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(ApiError::internal)
    }

    pub(crate) async fn finish(mut self) -> ApiResult<Received> {
        self.file.flush().await.map_err(ApiError::internal)?;
        drop(self.file);
        let sha256 = self.hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Received { temp: self.temp, size: self.size, sha256 })
    }
}

pub(crate) fn too_large(limit: u64) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("recordings may be at most {limit} bytes"))
        .with_details(json!({ "limit_bytes": limit }))
}

/// Probes that may run at once in the process: each keeps a core busy, so more would only
/// queue on the blocking pool while holding their files open.
fn probe_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, NonZeroUsize::get))
    })
}

/// Cancels a probe's budget when dropped: dropping the request's future (client gone, request
/// timed out) then stops the blocking probe at its next check, which `spawn_blocking` alone
/// never would.
struct CancelOnDrop(ProbeBudget);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Reads the facts of a received file and moves it into storage as recording `id`.
pub(crate) async fn store_received(
    state: &AppState,
    id: RecordingId,
    received: Received,
) -> ApiResult<MediaFacts> {
    let path = received.temp.path().to_owned();
    let slot = probe_slots().acquire().await.map_err(ApiError::internal)?;
    let budget = ProbeBudget::default();
    let probed = {
        let _cancel_if_dropped = CancelOnDrop(budget.clone());
        tokio::task::spawn_blocking(move || {
            // The slot is freed when the probe ends, not when a cancelled request lets go.
            let _slot = slot;
            probe::probe_file_with(&path, &budget)
        })
        .await
    };
    let probed = probed.map_err(ApiError::internal)?.map_err(refusal)?;
    let date = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let key = StorageKey::new(date, *id.as_uuid(), probed.format.extension())
        .map_err(ApiError::internal)?;
    state.blobs.put_file(&key, received.temp.path()).await.map_err(ApiError::internal)?;
    Ok(MediaFacts {
        format: probed.format.as_str().to_owned(),
        codec: probed.codec.to_owned(),
        duration_ms: i64::try_from(probed.duration_ms).unwrap_or(i64::MAX),
        sample_count: probed.sample_count.and_then(|n| i64::try_from(n).ok()),
        sample_rate: i32::try_from(probed.sample_rate).unwrap_or(i32::MAX),
        channels: i32::from(probed.channels),
        bitrate: i64::from(probed.bitrate),
        size_bytes: i64::try_from(received.size).unwrap_or(i64::MAX),
        sha256: received.sha256,
        storage_key: key.as_str().to_owned(),
    })
}

/// Why a file was refused: 415 for what we do not take, 422 for what is broken or needs more
/// work to read than its size allows.
fn refusal(err: ProbeError) -> ApiError {
    let supported = ["wav", "mp3", "ogg", "flac", "m4a", "mp4", "mov", "webm"];
    match err {
        ProbeError::Empty => ApiError::new(ErrorCode::InvalidMedia, "the file is empty"),
        ProbeError::Unsupported(reason) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("not a supported audio format: {reason}"),
        )
        .with_details(json!({ "reason": reason, "supported": supported })),
        ProbeError::Corrupt(reason) => {
            ApiError::new(ErrorCode::InvalidMedia, format!("the media cannot be read: {reason}"))
                .with_details(json!({ "reason": reason }))
        }
        ProbeError::TooMuchWork(work) => {
            // Crafted, or a parser mistake on real media: worth seeing in the log either way.
            tracing::warn!(%work, "media refused for the work reading it needs");
            let reason = format!("the file needs more work to read than its size allows: {work}");
            ApiError::new(ErrorCode::InvalidMedia, format!("the media cannot be read: {reason}"))
                .with_details(json!({ "reason": reason }))
        }
        // Only a dropped request cancels, so no client sees this.
        ProbeError::Cancelled => {
            ApiError::new(ErrorCode::Timeout, "reading the media was cancelled")
        }
        ProbeError::Io(err) => ApiError::internal(err),
    }
}

/// The `Content-Type` of a stored format.
pub(crate) fn mime_of(format: &str) -> &'static str {
    Format::parse(format).map_or("application/octet-stream", Format::mime)
}

/// Removes stored bytes that no row points at (a failed insert); logged, never fatal.
pub(crate) async fn discard(state: &AppState, facts: &MediaFacts) {
    if let Ok(key) = StorageKey::parse(&facts.storage_key)
        && let Err(err) = state.blobs.delete(&key).await
    {
        tracing::warn!(key = %facts.storage_key, error = %err, "could not remove stored media");
    }
}
