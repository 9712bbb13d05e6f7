//! What integrations received, counted in memory and added to the store in one write per
//! integration every few seconds: a provider sending thousands of events a second must not
//! turn one integration's row into a lock every request waits for.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use callbase_domain::{IntegrationId, Timestamp, WorkspaceId, now};
use callbase_store::{IntegrationActivity, Store};

/// How often counts reach the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);

/// Counts not yet written, per integration.
#[derive(Debug, Default)]
pub struct ActivityLog {
    pending: Mutex<HashMap<(WorkspaceId, IntegrationId), IntegrationActivity>>,
}

impl ActivityLog {
    fn record(
        &self,
        key: (WorkspaceId, IntegrationId),
        change: impl FnOnce(&mut IntegrationActivity),
    ) {
        let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        change(pending.entry(key).or_default());
    }

    /// One event accepted.
    pub fn event(&self, workspace: WorkspaceId, id: IntegrationId) {
        let at = now();
        self.record((workspace, id), |activity| {
            activity.events += 1;
            activity.last_event_at = Some(activity.last_event_at.map_or(at, |last| last.max(at)));
        });
    }

    /// One request refused for its signature, and why.
    pub fn signature_failure(&self, workspace: WorkspaceId, id: IntegrationId, reason: &str) {
        let at: Timestamp = now();
        self.record((workspace, id), |activity| {
            activity.signature_failures += 1;
            activity.last_failure = Some((at, reason.to_owned()));
        });
    }

    /// Writes what was counted; what fails to write is kept for the next flush.
    pub async fn flush(&self, store: &dyn Store) {
        let taken: Vec<_> = {
            let mut pending =
                self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            pending.drain().collect()
        };
        for ((workspace, id), activity) in taken {
            if let Err(err) = store.record_integration_activity(workspace, id, &activity).await {
                tracing::warn!(error = %err, integration = %id, "integration counts not written");
                self.record((workspace, id), |kept| merge(kept, activity));
            }
        }
    }
}

fn merge(kept: &mut IntegrationActivity, more: IntegrationActivity) {
    kept.events += more.events;
    kept.last_event_at = kept.last_event_at.max(more.last_event_at);
    kept.signature_failures += more.signature_failures;
    if more.last_failure.as_ref().map(|f| f.0) > kept.last_failure.as_ref().map(|f| f.0) {
        kept.last_failure = more.last_failure;
    }
}
