//! Provider integrations: what the store keeps of each (its secrets only sealed, by the
//! application) and the counts of what it received.

use std::collections::BTreeSet;

use async_trait::async_trait;
use callbase_domain::{DisplayName, IntegrationId, IntegrationKind, Timestamp, WorkspaceId};

use crate::{AuditEntry, Page, PageRequest, StoreResult};

/// One connection of a workspace to a telephony source.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: IntegrationId,
    pub workspace_id: WorkspaceId,
    pub kind: IntegrationKind,
    pub name: DisplayName,
    /// The settings that are not secret (`account_sid`, `tenant_id`, …).
    pub config: serde_json::Map<String, serde_json::Value>,
    /// The secrets as the application sealed them; the store never sees them in the clear.
    pub sealed_secrets: Vec<u8>,
    /// Which secrets `sealed_secrets` holds, so a reader can tell one is set without the key.
    pub secret_names: BTreeSet<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub events_received: u64,
    pub last_event_at: Option<Timestamp>,
    /// Requests refused because their signature did not verify.
    pub signature_failures: u64,
    pub last_signature_failure_at: Option<Timestamp>,
    pub last_signature_failure_reason: Option<String>,
}

impl Integration {
    /// A new integration with nothing received yet, created and updated `at`.
    #[must_use]
    pub fn new(
        workspace_id: WorkspaceId,
        kind: IntegrationKind,
        name: DisplayName,
        secrets: SealedSecrets,
        at: Timestamp,
    ) -> Self {
        Self {
            id: IntegrationId::new(),
            workspace_id,
            kind,
            name,
            config: serde_json::Map::new(),
            sealed_secrets: secrets.sealed,
            secret_names: secrets.names,
            created_at: at,
            updated_at: at,
            events_received: 0,
            last_event_at: None,
            signature_failures: 0,
            last_signature_failure_at: None,
            last_signature_failure_reason: None,
        }
    }
}

/// Sealed secrets and the names of those they hold: always replaced together, so the names
/// cannot drift from what is sealed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SealedSecrets {
    pub sealed: Vec<u8>,
    pub names: BTreeSet<String>,
}

/// A change to an integration; `None` leaves a field as it is. `updated_at` becomes `at`.
#[derive(Debug, Clone)]
pub struct IntegrationPatch {
    pub name: Option<DisplayName>,
    /// Replaces the whole config.
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    pub secrets: Option<SealedSecrets>,
    pub at: Timestamp,
}

impl IntegrationPatch {
    #[must_use]
    pub fn at(at: Timestamp) -> Self {
        Self { name: None, config: None, secrets: None, at }
    }
}

/// What an integration received since the last flush: counts to add and the latest
/// instants, which replace the stored ones only when later.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntegrationActivity {
    pub events: u64,
    pub last_event_at: Option<Timestamp>,
    pub signature_failures: u64,
    /// When the latest signature failure happened, and why.
    pub last_failure: Option<(Timestamp, String)>,
}

impl IntegrationActivity {
    /// Nothing to write.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Provider integrations of a workspace.
#[async_trait]
pub trait IntegrationStore {
    /// Fails with `WorkspaceGone` when the workspace does not exist (any more).
    async fn create_integration(
        &self,
        integration: &Integration,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn integration(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
    ) -> StoreResult<Option<Integration>>;
    async fn list_integrations(
        &self,
        workspace: WorkspaceId,
        page: &PageRequest,
    ) -> StoreResult<Page<Integration>>;
    async fn update_integration(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        patch: &IntegrationPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Integration>>;
    async fn delete_integration(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Adds what a flusher counted in one write, unaudited (bookkeeping, not a change
    /// anyone made). False when the integration is gone.
    async fn record_integration_activity(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        activity: &IntegrationActivity,
    ) -> StoreResult<bool>;
}
