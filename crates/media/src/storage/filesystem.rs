//! Recordings as files under one root directory (the default backend).

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::{BlobStorage, ByteStream, StorageError, StorageKey};

/// Files under `root`, at the paths their keys name.
#[derive(Debug, Clone)]
pub struct FilesystemStorage {
    root: PathBuf,
}

impl FilesystemStorage {
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path_of(&self, key: &StorageKey) -> PathBuf {
        // A key holds only digits, a uuid, '/' and a short extension (see `StorageKey`).
        self.root.join(key.as_str())
    }
}

#[async_trait]
impl BlobStorage for FilesystemStorage {
    fn kind(&self) -> &'static str {
        "filesystem"
    }

    async fn put_file(&self, key: &StorageKey, file: &Path) -> Result<(), StorageError> {
        let target = self.path_of(key);
        let dir =
            target.parent().ok_or_else(|| StorageError::Config("key has no directory".into()))?;
        fs::create_dir_all(dir).await?;
        fs::File::open(file).await?.sync_all().await?;
        if let Err(err) = fs::rename(file, &target).await {
            if err.kind() != std::io::ErrorKind::CrossesDevices {
                return Err(err.into());
            }
            copy_then_rename(file, &target).await?;
            fs::remove_file(file).await?;
        }
        sync_dir(dir).await
    }

    async fn read(&self, key: &StorageKey, range: Range<u64>) -> Result<ByteStream, StorageError> {
        let mut file =
            fs::File::open(self.path_of(key)).await.map_err(|err| not_found(err, key))?;
        file.seek(SeekFrom::Start(range.start)).await?;
        let body = file.take(range.end.saturating_sub(range.start));
        Ok(Box::pin(ReaderStream::with_capacity(body, 64 * 1024)))
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        match fs::remove_file(self.path_of(key)).await {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.into()),
            _ => Ok(()),
        }
    }

    async fn size(&self, key: &StorageKey) -> Result<Option<u64>, StorageError> {
        match fs::metadata(self.path_of(key)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

/// Across filesystems: copy beside the target, make it durable, then rename into place, so a
/// reader never sees half a file.
async fn copy_then_rename(from: &Path, target: &Path) -> Result<(), StorageError> {
    let partial = target.with_extension("partial");
    fs::copy(from, &partial).await?;
    fs::File::open(&partial).await?.sync_all().await?;
    fs::rename(&partial, target).await?;
    Ok(())
}

async fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    fs::File::open(dir).await?.sync_all().await?;
    Ok(())
}

fn not_found(err: std::io::Error, key: &StorageKey) -> StorageError {
    if err.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound(key.to_string())
    } else {
        StorageError::Io(err)
    }
}
