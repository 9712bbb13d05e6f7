//! Recordings in an S3-compatible bucket (AWS, MinIO, Ceph, moto…), through `object_store`.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use super::{BlobStorage, ByteStream, StorageError, StorageKey};

/// Parts of a multipart upload; S3 needs at least 5 MiB for every part but the last.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once while uploading one file.
const PARTS_IN_FLIGHT: usize = 2;

/// Where the bucket is and how to sign for it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// `https://s3.eu-central-1.amazonaws.com`, `http://127.0.0.1:9000`, …; `None` for AWS.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Prepended to every key (`recordings/`), so one bucket can hold several things.
    pub prefix: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("prefix", &self.prefix)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct S3Storage {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl S3Storage {
    /// # Errors
    /// When the configuration is incomplete (no bucket, a malformed endpoint).
    pub fn new(config: &S3Config) -> Result<Self, StorageError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let store = builder.build().map_err(|err| StorageError::Config(err.to_string()))?;
        let prefix = config.prefix.trim_matches('/').to_owned();
        Ok(Self { store: Arc::new(store), prefix })
    }

    fn path_of(&self, key: &StorageKey) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(key.as_str())
        } else {
            ObjectPath::from(format!("{}/{}", self.prefix, key.as_str()))
        }
    }
}

#[async_trait]
impl BlobStorage for S3Storage {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn put_file(&self, key: &StorageKey, file: &Path) -> Result<(), StorageError> {
        let path = self.path_of(key);
        let mut source = tokio::fs::File::open(file).await?;
        let size = source.metadata().await?.len();
        if size <= PART_SIZE as u64 {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            source.read_to_end(&mut bytes).await?;
            self.store.put(&path, PutPayload::from(bytes)).await?;
        } else {
            let upload = self.store.put_multipart(&path).await?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            if let Err(err) = copy_parts(&mut source, &mut writer).await {
                // Drop the parts already sent rather than leave them billed in the bucket.
                let _ = writer.abort().await;
                return Err(err);
            }
            writer.finish().await?;
        }
        tokio::fs::remove_file(file).await?;
        Ok(())
    }

    async fn read(&self, key: &StorageKey, range: Range<u64>) -> Result<ByteStream, StorageError> {
        if range.is_empty() {
            return Ok(Box::pin(futures_util::stream::empty()));
        }
        let options = GetOptions { range: Some(GetRange::Bounded(range)), ..GetOptions::default() };
        let result =
            self.store.get_opts(&self.path_of(key), options).await.map_err(|err| match err {
                object_store::Error::NotFound { .. } => StorageError::NotFound(key.to_string()),
                other => other.into(),
            })?;
        Ok(Box::pin(result.into_stream().map_err(std::io::Error::other).boxed()))
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        match self.store.delete(&self.path_of(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    async fn size(&self, key: &StorageKey) -> Result<Option<u64>, StorageError> {
        match self.store.head(&self.path_of(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

async fn copy_parts(
    source: &mut tokio::fs::File,
    writer: &mut WriteMultipart,
) -> Result<(), StorageError> {
    let mut buffer = vec![0_u8; 256 * 1024];
    loop {
        let read = source.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        writer.write(&buffer[..read]);
    }
}

impl From<object_store::Error> for StorageError {
    fn from(err: object_store::Error) -> Self {
        Self::Remote(err.to_string())
    }
}
