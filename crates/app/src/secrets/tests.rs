use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

/// A new empty directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "callbase-secrets-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn key(byte: u8) -> SecretKey {
    SecretKey::from_bytes([byte; 32])
}

#[test]
fn sealed_bytes_open_to_the_same_bytes() {
    let secrets = SecretBox::new(&key(7));
    let sealed = secrets.seal(b"AC-auth-token", b"row 1").expect("seal");
    assert_eq!(sealed.len(), 1 + NONCE_LEN + b"AC-auth-token".len() + TAG_LEN);
    assert_eq!(sealed[0], VERSION);
    assert!(!sealed.windows(13).any(|w| w == b"AC-auth-token"), "no plaintext in the blob");
    assert_eq!(secrets.open(&sealed, b"row 1").expect("open"), b"AC-auth-token");
    let again = secrets.seal(b"AC-auth-token", b"row 1").expect("seal");
    assert_ne!(sealed, again, "a fresh nonce every time");
    assert_eq!(secrets.open(&secrets.seal(b"", b"").expect("seal"), b""), Ok(Vec::new()));
}

#[test]
fn another_purpose_does_not_open() {
    let secrets = SecretBox::new(&key(7));
    let one = IntegrationId::new();
    let other = IntegrationId::new();
    let sealed = secrets.seal(b"secret", &integration_aad(one)).expect("seal");
    assert_eq!(secrets.open(&sealed, &integration_aad(other)), Err(SecretError::Unopenable));
    assert_eq!(secrets.open(&sealed, b""), Err(SecretError::Unopenable));
    assert_eq!(secrets.open(&sealed, &integration_aad(one)).expect("open"), b"secret");
}

#[test]
fn any_changed_byte_is_refused() {
    let secrets = SecretBox::new(&key(7));
    let sealed = secrets.seal(b"secret", b"aad").expect("seal");
    for i in 1..sealed.len() {
        let mut tampered = sealed.clone();
        tampered[i] ^= 0x01;
        assert_eq!(secrets.open(&tampered, b"aad"), Err(SecretError::Unopenable), "byte {i}");
    }
    let mut versioned = sealed.clone();
    versioned[0] = 2;
    assert_eq!(secrets.open(&versioned, b"aad"), Err(SecretError::UnknownVersion(2)));
    for cut in [0, 1, 1 + NONCE_LEN, sealed.len() - 1] {
        assert_eq!(secrets.open(&sealed[..cut], b"aad"), Err(SecretError::Unopenable), "{cut}");
    }
}

#[test]
fn another_key_does_not_open() {
    let sealed = SecretBox::new(&key(7)).seal(b"secret", b"aad").expect("seal");
    assert_eq!(SecretBox::new(&key(8)).open(&sealed, b"aad"), Err(SecretError::Unopenable));
}

#[test]
fn named_secrets_round_trip() {
    let secrets = SecretBox::new(&key(1));
    let named = BTreeMap::from([
        ("auth_token".to_owned(), "tok-123".to_owned()),
        ("signing_secret".to_owned(), "ünïcode \"quoted\"".to_owned()),
    ]);
    let aad = integration_aad(IntegrationId::new());
    let sealed = secrets.seal_named(&named, &aad).expect("seal");
    assert_eq!(secrets.open_named(&sealed, &aad).expect("open"), named);
    let not_a_map = secrets.seal(b"[1, 2]", &aad).expect("seal");
    assert_eq!(secrets.open_named(&not_a_map, &aad), Err(SecretError::NotNamedSecrets));
}

#[test]
fn debug_shows_no_key() {
    let key = key(0xab);
    let shown = format!("{key:?} {:?}", SecretBox::new(&key));
    assert_eq!(shown, "SecretKey(<redacted>) SecretBox(<redacted>)");
}

#[test]
fn the_variable_is_base64_of_32_bytes() {
    let dir = TempDir::new();
    let encoded = STANDARD.encode([9_u8; 32]);
    let loaded = SecretKey::load(Some(&format!(" {encoded}\n")), &dir.0, true).expect("key");
    let sealed = SecretBox::new(&key(9)).seal(b"x", b"").expect("seal");
    assert_eq!(SecretBox::new(&loaded).open(&sealed, b"").expect("same key"), b"x");
    assert!(!dir.0.join(KEY_FILE).exists(), "an explicit key makes no file");

    let too_short = STANDARD.encode([9_u8; 16]);
    for bad in ["", "not base64!", too_short.as_str(), &format!("{encoded}AAAA")] {
        let err = SecretKey::load(Some(bad), &dir.0, false).expect_err(bad);
        assert!(matches!(err, SecretKeyError::Invalid), "{bad:?}: {err:?}");
        let message = err.to_string();
        assert!(message.contains(KEY_VARIABLE), "{message}");
        assert!(bad.is_empty() || !message.contains(bad), "the value is not repeated");
    }
}

#[test]
fn a_shared_database_needs_the_variable() {
    let dir = TempDir::new();
    let err = SecretKey::load(None, &dir.0, true).expect_err("refused");
    assert!(matches!(err, SecretKeyError::Required), "{err:?}");
    assert!(err.to_string().contains(KEY_VARIABLE));
    assert!(!dir.0.join(KEY_FILE).exists());
    assert!(key_must_be_explicit(Backend::Postgres));
    assert!(!key_must_be_explicit(Backend::Sqlite));
}

#[cfg(unix)]
#[test]
fn the_key_file_is_made_private_once_and_reused() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new();
    let first = SecretKey::load(None, &dir.0, false).expect("made");
    let path = dir.0.join(KEY_FILE);
    let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, [KEY_FILE], "no temporary file left behind");

    let second = SecretKey::load(None, &dir.0, false).expect("reused");
    let sealed = SecretBox::new(&first).seal(b"kept", b"").expect("seal");
    assert_eq!(SecretBox::new(&second).open(&sealed, b"").expect("same key"), b"kept");

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = SecretKey::load(None, &dir.0, false).expect_err("refused");
    assert!(matches!(err, SecretKeyError::Exposed { mode: 0o644, .. }), "{err:?}");
    assert!(err.to_string().contains("chmod 600"), "{err}");

    std::fs::write(&path, "short\n").expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let err = SecretKey::load(None, &dir.0, false).expect_err("refused");
    assert!(matches!(err, SecretKeyError::BadFile { .. }), "{err:?}");
}

#[test]
fn a_missing_data_directory_is_made_and_one_that_cannot_be_is_named() {
    let dir = TempDir::new();
    let missing = dir.0.join("new").join("data");
    SecretKey::load(None, &missing, false).expect("the directory is made");
    assert!(missing.join(KEY_FILE).is_file());
    let file = dir.0.join("a-file");
    std::fs::write(&file, "x").expect("write");
    let impossible = file.join("nowhere");
    let err = SecretKey::load(None, &impossible, false).expect_err("under a file");
    assert!(matches!(err, SecretKeyError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("nowhere"), "{err}");
}
