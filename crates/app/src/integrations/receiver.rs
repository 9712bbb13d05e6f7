//! An integration ready to take its provider's events: the stored integration, its secrets
//! opened and its workspace's region. A provider sends thousands of callbacks a second to
//! one integration, so each is read once per [`RECEIVERS_FRESH_FOR`] rather than per event;
//! a change made through this server (rename, new secrets, delete) is seen at once, one made
//! through another instance within that time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use callbase_domain::{IntegrationId, IntegrationKind, RegionCode, WorkspaceId};
use callbase_store::Integration;

use super::{Integrations, require_kind};
use crate::cache::ShortLived;
use crate::calls::workspace_region;
use crate::error::AppResult;

/// How long a receiver is served from memory.
pub const RECEIVERS_FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Receiver {
    pub integration: Integration,
    secrets: BTreeMap<String, String>,
    /// The workspace's region, for reading national numbers.
    pub region: Option<RegionCode>,
}

impl Receiver {
    /// A secret in the clear.
    #[must_use]
    pub fn secret(&self, name: &str) -> Option<&str> {
        self.secrets.get(name).map(String::as_str)
    }
}

/// The receivers read lately, by workspace and id.
pub type Receivers = ShortLived<(WorkspaceId, IntegrationId), Arc<Receiver>>;

#[must_use]
pub fn receivers() -> Receivers {
    ShortLived::new(RECEIVERS_FRESH_FOR)
}

impl Integrations<'_> {
    /// The integration `id` of `workspace` ready to receive, when it is of `kind` (a Twilio
    /// URL does not reach a Placetel integration).
    ///
    /// # Errors
    /// `IntegrationNotFound`, no key or a key that cannot open its secrets, or the store's.
    pub async fn receiver(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        kind: IntegrationKind,
    ) -> AppResult<Arc<Receiver>> {
        let receiver = match self.receivers.get(&(workspace, id)) {
            Some(receiver) => receiver,
            None => {
                let integration = self.find(workspace, id).await?;
                let secrets = self.open_secrets(&integration)?;
                let region = workspace_region(self.store, workspace).await?;
                let receiver = Arc::new(Receiver { integration, secrets, region });
                self.receivers.put((workspace, id), receiver.clone());
                receiver
            }
        };
        require_kind(&receiver.integration, kind)?;
        Ok(receiver)
    }
}
