//! What every handler can reach: the store, recording storage, the settings and the rate
//! limiters.

use std::sync::Arc;

use callbase_app::egress::{AllowEntry, Egress, EgressPolicy};
use callbase_app::integrations::{ActivityLog, Integrations, Receivers, receivers};
use callbase_app::secrets::{SecretBox, SecretKey, SecretKeyError, key_must_be_explicit};
use callbase_media::storage::{BlobStorage, FilesystemStorage, S3Storage, StorageError};
use callbase_store::Backend;
use callbase_store::Store;
use tokio::sync::OnceCell;

use crate::auth::AuthCache;
use crate::ops::metrics::Metrics;
use crate::ops::rate_limit::RateLimiters;
use crate::settings::{RecordingStorage, Settings};

/// Cheap to clone: every middleware layer and handler holds one per request, so it is a
/// single shared pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub store: Arc<dyn Store>,
    /// Where recording bytes live.
    pub blobs: Arc<dyn BlobStorage>,
    pub settings: Arc<Settings>,
    pub limiters: Arc<RateLimiters>,
    pub metrics: Metrics,
    pub auth_cache: Arc<AuthCache>,
    /// The key signing share links, shared by every instance through the database.
    pub link_key: Arc<OnceCell<Vec<u8>>>,
    /// The one client for requests to URLs someone supplied (REL-5).
    pub egress: Egress,
    /// Uploads in flight per token, capped by `uploads_per_token`.
    pub uploads: crate::http::recordings::UploadSlots,
    /// Failed logins per account, limited like attempts per address.
    pub failed_logins: crate::auth::FailedLogins,
    /// Seals integration secrets; `None` on PostgreSQL without `CALLBASE_SECRET_KEY`.
    pub secrets: Option<SecretBox>,
    /// What integrations received, until it is written.
    pub activity: Arc<ActivityLog>,
    /// Integrations read lately for their webhooks.
    pub receivers: Receivers,
}

/// Why the state could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("recording storage: {0}")]
    Storage(#[from] StorageError),
    #[error("egress client: {0}")]
    Egress(#[from] reqwest::Error),
    #[error("the key for integration secrets: {0}")]
    SecretKey(#[from] SecretKeyError),
}

impl AppState {
    /// # Errors
    /// When the recording storage is misconfigured or TLS cannot be set up.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Result<Self, StateError> {
        let blobs: Arc<dyn BlobStorage> = match &settings.recording_storage {
            RecordingStorage::Filesystem(dir) => Arc::new(FilesystemStorage::new(dir.clone())),
            RecordingStorage::S3(config) => Arc::new(S3Storage::new(config)?),
        };
        let limiters = Arc::new(RateLimiters::new(&settings));
        crate::install_tls_provider();
        let egress = Egress::new(EgressPolicy::new(&egress_entries(&settings)))?;
        let failed_logins = crate::auth::FailedLogins::new(settings.login_attempts_per_minute);
        let secrets = secret_box(&settings, store.backend())?;
        Ok(Self(Arc::new(Shared {
            store,
            blobs,
            settings: Arc::new(settings),
            limiters,
            metrics: Metrics::global(),
            auth_cache: Arc::default(),
            link_key: Arc::default(),
            egress,
            uploads: crate::http::recordings::UploadSlots::default(),
            failed_logins,
            secrets,
            activity: Arc::default(),
            receivers: receivers(),
        })))
    }

    /// The integration use cases, as this server runs them.
    #[must_use]
    pub fn integrations(&self) -> Integrations<'_> {
        Integrations {
            store: self.store.as_ref(),
            secrets: self.secrets.as_ref(),
            base_url: self.settings.public_url.as_deref().unwrap_or(""),
            activity: &self.activity,
            receivers: &self.receivers,
        }
    }
}

/// The box integration secrets are sealed with: the configured key, or on SQLite the key
/// file in the data directory (made once). On PostgreSQL without a key the server runs, and
/// creating an integration answers 409 `secret_key_required`.
fn secret_box(settings: &Settings, backend: Backend) -> Result<Option<SecretBox>, SecretKeyError> {
    let explicit = settings.secret_key.as_ref().map(|key| key.expose());
    match SecretKey::load(explicit, &settings.data_dir, key_must_be_explicit(backend)) {
        Ok(key) => Ok(Some(SecretBox::new(&key))),
        Err(SecretKeyError::Required) => {
            tracing::warn!(
                "CALLBASE_SECRET_KEY is not set: integrations cannot be created or used until \
                 it is (the same on every instance)"
            );
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// The operator's allow-list, plus the transcription service they configured themselves
/// (often a whisper server on the same host or LAN).
fn egress_entries(settings: &Settings) -> Vec<AllowEntry> {
    let mut entries = settings.egress_allow.clone();
    let transcription_host = settings
        .transcription
        .as_ref()
        .and_then(|service| reqwest::Url::parse(&service.url).ok())
        .and_then(|url| url.host_str().map(|host| host.trim_matches(['[', ']']).to_owned()));
    if let Some(host) = transcription_host
        && let Ok(entry) = AllowEntry::parse(&host)
    {
        entries.push(entry);
    }
    entries
}
