//! Provider integrations (`/integrations`): what each kind needs, its secrets sealed at rest
//! and never shown again (except one the server generated, once), the webhook URLs to give
//! the provider, and what it has received.

mod activity;
mod input;
mod receiver;
mod schema;
mod view;

use std::collections::BTreeMap;

use callbase_domain::{IntegrationId, IntegrationKind, WorkspaceId, now};
use callbase_store::{
    AuditEntry, Integration, IntegrationPatch, Page, PageRequest, SealedSecrets, Store,
};

pub use activity::{ActivityLog, FLUSH_EVERY};
pub use input::{IntegrationIn, IntegrationPatchIn, SecretsIn};
pub use receiver::{RECEIVERS_FRESH_FOR, Receiver, Receivers, receivers};
pub use view::{IntegrationOut, WebhookUrls, webhook_path};

use crate::error::{AppError, AppResult};
use crate::secrets::{SecretBox, integration_aad};

/// What the integration use cases need besides the store.
pub struct Integrations<'a> {
    pub store: &'a dyn Store,
    /// `None` when no key is configured (PostgreSQL without `CALLBASE_SECRET_KEY`).
    pub secrets: Option<&'a SecretBox>,
    /// The externally visible base URL, for the webhook URLs.
    pub base_url: &'a str,
    pub activity: &'a ActivityLog,
    /// Integrations read lately for their webhooks, forgotten here when changed.
    pub receivers: &'a Receivers,
}

impl Integrations<'_> {
    fn secret_box(&self) -> AppResult<&SecretBox> {
        self.secrets.ok_or(AppError::SecretKeyMissing)
    }

    /// Creates an integration. Secrets the server can make (signing secrets, Placetel's
    /// shared secret) are generated when omitted and answered this once.
    ///
    /// # Errors
    /// An invalid field, no key to seal with, or the store's.
    pub async fn create(
        &self,
        workspace: WorkspaceId,
        input: IntegrationIn,
        audit: &AuditEntry,
    ) -> AppResult<IntegrationOut> {
        let kind = input.kind;
        let name = input.name;
        let config = input::checked_config(kind, input.config)?;
        let (secrets, generated) = input::complete_secrets(kind, &input.secrets)?;
        let at = now();
        let mut integration = Integration::new(workspace, kind, name, SealedSecrets::default(), at);
        integration.config = config;
        let sealed = self.seal(integration.id, &secrets)?;
        integration.sealed_secrets = sealed.sealed;
        integration.secret_names = sealed.names;
        let mut audit = audit.clone();
        audit.target_id = Some(integration.id.to_string());
        self.store.create_integration(&integration, &audit).await?;
        Ok(IntegrationOut::new(integration, self.base_url, generated))
    }

    /// # Errors
    /// The store's.
    pub async fn list(
        &self,
        workspace: WorkspaceId,
        page: &PageRequest,
    ) -> AppResult<Page<IntegrationOut>> {
        self.activity.flush(self.store).await;
        let page = self.store.list_integrations(workspace, page).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|i| IntegrationOut::new(i, self.base_url, BTreeMap::new()))
                .collect(),
            next: page.next,
        })
    }

    /// # Errors
    /// `IntegrationNotFound`, or the store's.
    pub async fn get(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
    ) -> AppResult<IntegrationOut> {
        self.activity.flush(self.store).await;
        let integration = self.find(workspace, id).await?;
        Ok(IntegrationOut::new(integration, self.base_url, BTreeMap::new()))
    }

    /// The stored integration, for a webhook to verify against.
    ///
    /// # Errors
    /// `IntegrationNotFound`, or the store's.
    pub async fn find(&self, workspace: WorkspaceId, id: IntegrationId) -> AppResult<Integration> {
        self.store.integration(workspace, id).await?.ok_or(AppError::IntegrationNotFound)
    }

    /// Its secrets in the clear, for verifying a provider's signature or calling its API.
    ///
    /// # Errors
    /// No key, or a sealed value the key cannot open (the key changed).
    pub fn open_secrets(&self, integration: &Integration) -> AppResult<BTreeMap<String, String>> {
        self.secret_box()?
            .open_named(&integration.sealed_secrets, &integration_aad(integration.id))
            .map_err(|err| AppError::SecretsUnreadable(err.to_string()))
    }

    /// Renames it or replaces its config.
    ///
    /// # Errors
    /// An invalid field, `IntegrationNotFound`, or the store's.
    pub async fn update(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        input: IntegrationPatchIn,
        audit: &AuditEntry,
    ) -> AppResult<IntegrationOut> {
        let current = self.find(workspace, id).await?;
        let mut patch = IntegrationPatch::at(now());
        patch.name = input.name;
        if let Some(config) = input.config {
            patch.config = Some(input::checked_config(current.kind, config)?);
        }
        let updated = self
            .store
            .update_integration(workspace, id, &patch, audit)
            .await?
            .ok_or(AppError::IntegrationNotFound)?;
        self.receivers.forget(&(workspace, id));
        Ok(IntegrationOut::new(updated, self.base_url, BTreeMap::new()))
    }

    /// Replaces its secrets: those given, and new ones generated for those the server makes
    /// (answered this once). The old ones stop working at once here, and within
    /// [`RECEIVERS_FRESH_FOR`] on other instances.
    ///
    /// # Errors
    /// An invalid secret, no key, `IntegrationNotFound`, or the store's.
    pub async fn rotate(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        input: SecretsIn,
        audit: &AuditEntry,
    ) -> AppResult<IntegrationOut> {
        let current = self.find(workspace, id).await?;
        let (secrets, generated) = input::complete_secrets(current.kind, &input.secrets)?;
        let mut patch = IntegrationPatch::at(now());
        patch.secrets = Some(self.seal(id, &secrets)?);
        let updated = self
            .store
            .update_integration(workspace, id, &patch, audit)
            .await?
            .ok_or(AppError::IntegrationNotFound)?;
        self.receivers.forget(&(workspace, id));
        Ok(IntegrationOut::new(updated, self.base_url, generated))
    }

    /// # Errors
    /// `IntegrationNotFound`, or the store's.
    pub async fn delete(
        &self,
        workspace: WorkspaceId,
        id: IntegrationId,
        audit: &AuditEntry,
    ) -> AppResult<()> {
        let deleted = self.store.delete_integration(workspace, id, audit).await?;
        self.receivers.forget(&(workspace, id));
        if deleted { Ok(()) } else { Err(AppError::IntegrationNotFound) }
    }

    fn seal(
        &self,
        id: IntegrationId,
        secrets: &BTreeMap<String, String>,
    ) -> AppResult<SealedSecrets> {
        let sealed = self
            .secret_box()?
            .seal_named(secrets, &integration_aad(id))
            .map_err(|err| AppError::SecretsUnreadable(err.to_string()))?;
        Ok(SealedSecrets { sealed, names: secrets.keys().cloned().collect() })
    }
}

/// The kind an integration must be for a webhook path, or `IntegrationNotFound` (a Twilio
/// URL does not reach a Placetel integration).
///
/// # Errors
/// As above.
pub fn require_kind(integration: &Integration, kind: IntegrationKind) -> AppResult<()> {
    if integration.kind == kind { Ok(()) } else { Err(AppError::IntegrationNotFound) }
}
