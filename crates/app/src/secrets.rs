//! Secrets at rest: integration credentials sealed with AES-256-GCM under the server's key,
//! each blob bound to what it belongs to, and where that key comes from.
//!
//! A sealed blob is `version (1 byte) || nonce (12 random bytes) || ciphertext || tag (16)`.
//! The associated data is the version byte followed by the caller's purpose (for an
//! integration, [`integration_aad`]): a blob copied into another row does not open there.
//!
//! The key is `CALLBASE_SECRET_KEY` (the base64 of 32 random bytes) or, when that is unset
//! and the database is SQLite, the file `secret.key` in the data directory, made on first
//! start with mode 0600. A key file that others may read is refused rather than warned
//! about: a warning scrolls by, while the file unseals every provider credential of every
//! workspace. Losing the key loses the secrets: back the file up with the database.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, Generate, KeyInit, Nonce, Payload};
use aes_gcm::{Aes256Gcm, Key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use callbase_domain::IntegrationId;
use callbase_store::Backend;

/// The variable that holds the key.
pub const KEY_VARIABLE: &str = "CALLBASE_SECRET_KEY";
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// The layout of a sealed blob; a new one gets a new number and old blobs keep opening.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why no key could be had. The texts never contain the key or the value given.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    #[error(
        "{KEY_VARIABLE} must be the base64 of 32 random bytes \
         (make one with `openssl rand -base64 32`)"
    )]
    Invalid,
    #[error(
        "{KEY_VARIABLE} must be set when the database is PostgreSQL: every instance sharing the \
         database must seal and open secrets with the same key \
         (make one with `openssl rand -base64 32`)"
    )]
    Required,
    #[error(
        "the key file {path} may be read by others (mode {mode:03o}); \
         make it private with `chmod 600 {path}`"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("the key file {path} does not hold the base64 of 32 bytes")]
    BadFile { path: PathBuf },
    #[error("cannot read or create the key file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("the system's random number generator failed")]
    Random,
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the system's random number generator failed")]
    Random,
    /// Wrong key, wrong purpose, changed or cut short: AES-GCM does not tell which.
    #[error("the sealed secret does not open with this key for this purpose")]
    Unopenable,
    #[error("the sealed secret has format version {0}, which this server does not know")]
    UnknownVersion(u8),
    #[error("the opened secret is not a JSON object of strings")]
    NotNamedSecrets,
}

/// The 256-bit key that seals secrets. Its `Debug` shows nothing of it.
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A new random key.
    pub fn generate() -> Result<Self, SecretKeyError> {
        let key = Key::<Aes256Gcm>::try_generate().map_err(|_| SecretKeyError::Random)?;
        Ok(Self(key.into()))
    }

    /// A key from its base64 text (surrounding whitespace ignored).
    pub fn parse(encoded: &str) -> Result<Self, SecretKeyError> {
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| SecretKeyError::Invalid)?;
        <[u8; 32]>::try_from(bytes.as_slice()).map(Self).map_err(|_| SecretKeyError::Invalid)
    }

    /// The key to use: `explicit` (the value of [`KEY_VARIABLE`]) when given, else the key
    /// file in `data_dir`, made on first use. `must_be_explicit` (see
    /// [`key_must_be_explicit`]) refuses the file.
    pub fn load(
        explicit: Option<&str>,
        data_dir: &Path,
        must_be_explicit: bool,
    ) -> Result<Self, SecretKeyError> {
        match explicit {
            Some(value) => Self::parse(value),
            None if must_be_explicit => Err(SecretKeyError::Required),
            None => Self::from_file(&data_dir.join(KEY_FILE)),
        }
    }

    /// Reads the key file, or makes it when there is none.
    fn from_file(path: &Path) -> Result<Self, SecretKeyError> {
        match read_key_file(path) {
            Err(SecretKeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                create_key_file(path)
            }
            found => found,
        }
    }

    /// The key as `CALLBASE_SECRET_KEY` takes it.
    #[must_use]
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

/// Whether a store on `backend` needs [`KEY_VARIABLE`]: a SQLite file has one server beside
/// it, so there the key may live in the data directory; every instance on a PostgreSQL
/// database would otherwise make a key of its own and open nothing the others sealed.
#[must_use]
pub const fn key_must_be_explicit(backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => false,
        Backend::Postgres => true,
    }
}

/// The associated data that binds an integration's sealed secrets to its row.
#[must_use]
pub fn integration_aad(id: IntegrationId) -> Vec<u8> {
    let mut aad = b"integration:".to_vec();
    aad.extend_from_slice(id.as_uuid().as_bytes());
    aad
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SecretKeyError + '_ {
    move |source| SecretKeyError::Io { path: path.to_owned(), source }
}

fn read_key_file(path: &Path) -> Result<SecretKey, SecretKeyError> {
    let mut file = std::fs::File::open(path).map_err(io_error(path))?;
    check_private(path, &file)?;
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes).map_err(io_error(path))?;
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| SecretKey::parse(text).ok())
        .ok_or_else(|| SecretKeyError::BadFile { path: path.to_owned() })
}

#[cfg(unix)]
fn check_private(path: &Path, file: &std::fs::File) -> Result<(), SecretKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file.metadata().map_err(io_error(path))?.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        Ok(())
    } else {
        Err(SecretKeyError::Exposed { path: path.to_owned(), mode })
    }
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _file: &std::fs::File) -> Result<(), SecretKeyError> {
    Ok(())
}

/// Makes the key file, durably, without ever replacing one: the key is written to a private
/// temporary file and linked into place, which fails when another process got there first;
/// then that process's key is the one.
fn create_key_file(path: &Path) -> Result<SecretKey, SecretKeyError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_error(path))?;
    }
    let key = SecretKey::generate()?;
    let temporary = path.with_extension(format!("key.{}.tmp", std::process::id()));
    let written = write_private(&temporary, &key);
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    // Best effort: a leftover temporary file holds a key nothing uses.
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            sync_parent(path).map_err(io_error(path))?;
            let path = path.display();
            tracing::info!(%path, "made a key for sealing secrets: back it up with the database");
            Ok(key)
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => read_key_file(path),
        Err(err) => Err(io_error(path)(err)),
    }
}

fn write_private(path: &Path, key: &SecretKey) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(format!("{}\n", key.to_base64()).as_bytes())?;
    file.sync_all()
}

/// Makes the new directory entry survive a crash, not only the file's bytes.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

impl SecretBox {
    #[must_use]
    pub fn new(key: &SecretKey) -> Self {
        Self { cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(key.0)) }
    }

    /// Encrypts `plaintext` under a fresh random nonce, bound to `aad` (what it is for).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SecretError> {
        let nonce = Nonce::<Aes256Gcm>::try_generate().map_err(|_| SecretError::Random)?;
        let aad = versioned(VERSION, aad);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: &aad })
            .map_err(|_| SecretError::Unopenable)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// The plaintext of `sealed`, if it was sealed with this key for this `aad` and is
    /// unchanged.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SecretError> {
        let (&version, rest) = sealed.split_first().ok_or(SecretError::Unopenable)?;
        if version != VERSION {
            return Err(SecretError::UnknownVersion(version));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(SecretError::Unopenable);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| SecretError::Unopenable)?;
        let aad = versioned(version, aad);
        self.cipher
            .decrypt(&nonce, Payload { msg: ciphertext, aad: &aad })
            .map_err(|_| SecretError::Unopenable)
    }

    /// Seals named secrets (`auth_token` → its value) as one JSON object.
    pub fn seal_named(
        &self,
        secrets: &BTreeMap<String, String>,
        aad: &[u8],
    ) -> Result<Vec<u8>, SecretError> {
        let json = serde_json::to_vec(secrets).map_err(|_| SecretError::NotNamedSecrets)?;
        self.seal(&json, aad)
    }

    pub fn open_named(
        &self,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<BTreeMap<String, String>, SecretError> {
        let json = self.open(sealed, aad)?;
        serde_json::from_slice(&json).map_err(|_| SecretError::NotNamedSecrets)
    }
}

/// The version byte is authenticated with the caller's data, so it cannot be swapped.
fn versioned(version: u8, aad: &[u8]) -> Vec<u8> {
    let mut bound = Vec::with_capacity(1 + aad.len());
    bound.push(version);
    bound.extend_from_slice(aad);
    bound
}

#[cfg(test)]
mod tests;
