//! What every handler can reach: the store, recording storage, the settings and the rate
//! limiters.

use std::sync::Arc;

use callbase_media::storage::{BlobStorage, FilesystemStorage, S3Storage, StorageError};
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
}

impl AppState {
    /// # Errors
    /// When the recording storage is misconfigured.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Result<Self, StorageError> {
        let blobs: Arc<dyn BlobStorage> = match &settings.recording_storage {
            RecordingStorage::Filesystem(dir) => Arc::new(FilesystemStorage::new(dir.clone())),
            RecordingStorage::S3(config) => Arc::new(S3Storage::new(config)?),
        };
        let limiters = Arc::new(RateLimiters::new(&settings));
        Ok(Self(Arc::new(Shared {
            store,
            blobs,
            settings: Arc::new(settings),
            limiters,
            metrics: Metrics::global(),
            auth_cache: Arc::default(),
            link_key: Arc::default(),
        })))
    }
}
