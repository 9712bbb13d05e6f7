//! Where recording bytes live: the local filesystem (default) or S3-compatible object storage,
//! behind one interface. Keys are generated here from a date, an id and a format extension;
//! nothing a client sends ever becomes part of a path.

mod filesystem;
mod key;
mod s3;

use std::fmt::Debug;
use std::ops::Range;
use std::path::Path;
use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

pub use filesystem::FilesystemStorage;
pub use key::{KeyError, StorageKey};
pub use s3::{S3Config, S3Storage};

/// A body read from storage, chunk by chunk.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no stored object under {0}")]
    NotFound(String),
    #[error("storage I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("object storage failed: {0}")]
    Remote(String),
    #[error("storage is misconfigured: {0}")]
    Config(String),
}

/// One place recordings are kept. Every method is safe to retry.
#[async_trait]
pub trait BlobStorage: Send + Sync + Debug {
    /// A short name for logs and the health report (`filesystem`, `s3`).
    fn kind(&self) -> &'static str;

    /// Stores a complete local file under `key`, durably, then removes the local file.
    /// Either the whole object is there afterwards or nothing is.
    async fn put_file(&self, key: &StorageKey, file: &Path) -> Result<(), StorageError>;

    /// Streams the bytes in `range` (which the caller has checked against the object's size).
    async fn read(&self, key: &StorageKey, range: Range<u64>) -> Result<ByteStream, StorageError>;

    /// Removes the object; removing one that is not there is not an error.
    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError>;

    /// The object's size, or `None` when nothing is stored under `key`.
    async fn size(&self, key: &StorageKey) -> Result<Option<u64>, StorageError>;
}
