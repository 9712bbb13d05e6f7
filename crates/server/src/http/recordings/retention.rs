//! Retention (REC-7): each workspace may keep recordings a limited number of days; a
//! background pass deletes older ones (row, transcript and bytes), each deletion audited.

use callbase_domain::{Timestamp, now};
use callbase_store::AuditEntry;
use serde_json::json;

use super::manage::remove_bytes;
use crate::state::AppState;

/// Recordings deleted per query, so one pass never holds much in memory.
const BATCH: u32 = 200;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    pub workspaces: usize,
    pub deleted: usize,
}

/// One pass over every workspace with a policy. Errors stop the pass; the next one resumes.
///
/// # Errors
/// When the database fails.
pub async fn run_once(state: &AppState) -> Result<RetentionReport, callbase_store::StoreError> {
    run_at(state, now()).await
}

/// `run_once` as if it were `at` (tests look ahead in time with it).
///
/// # Errors
/// When the database fails.
pub async fn run_at(
    state: &AppState,
    at: Timestamp,
) -> Result<RetentionReport, callbase_store::StoreError> {
    let mut report = RetentionReport::default();
    for (workspace, days) in state.store.retention_policies().await? {
        report.workspaces += 1;
        let cutoff = at - jiff::SignedDuration::from_hours(24 * i64::from(days));
        loop {
            let old = state.store.recordings_created_before(workspace, cutoff, BATCH).await?;
            if old.is_empty() {
                break;
            }
            for recording in old {
                let mut audit =
                    AuditEntry::new(Some(workspace), "recording.retention_delete", recording.id);
                audit.target_type = "recording".to_owned();
                audit.details = json!({
                    "retention_days": days,
                    "created_at": recording.created_at,
                    "call_id": recording.call_id,
                });
                if let Some(deleted) =
                    state.store.delete_recording(workspace, recording.id, &audit).await?
                {
                    remove_bytes(state, &deleted).await;
                    report.deleted += 1;
                }
            }
        }
    }
    if report.deleted > 0 {
        tracing::info!(deleted = report.deleted, "retention removed old recordings");
    }
    Ok(report)
}
