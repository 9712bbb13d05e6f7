//! Token secrets: 256 random bits, shown once, stored only as their SHA-256.
//!
//! A fast hash is right here (unlike passwords): the secret has full entropy, so there is
//! nothing to brute-force, and every request must verify it quickly.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The cookie that carries a login session for the web UI.
pub const SESSION_COOKIE: &str = "callbase_session";
/// The cookie's name over https: the `__Host-` prefix makes browsers refuse it unless it was
/// set by this exact origin over TLS with `Path=/` and no `Domain`, so a sibling subdomain
/// cannot plant one.
pub const SECURE_SESSION_COOKIE: &str = "__Host-callbase_session";

/// The session cookie's name for a server whose public URL is `public_url`.
#[must_use]
pub fn session_cookie_name(public_url: Option<&str>) -> &'static str {
    if public_url.is_some_and(|url| url.starts_with("https://")) {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

pub struct GeneratedSecret {
    /// What the client gets, once.
    pub secret: String,
    /// What we store.
    pub hash: Vec<u8>,
    /// The first characters, to tell tokens apart in a list.
    pub prefix: String,
}

/// `kind` is `cbk` for API tokens and `cbs` for sessions, so a leaked secret says what it is.
#[must_use]
pub fn generate_secret(kind: &str) -> GeneratedSecret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{kind}_{}", URL_SAFE_NO_PAD.encode(bytes));
    let prefix = secret.chars().take(kind.len() + 1 + 6).collect();
    GeneratedSecret { hash: hash_secret(&secret), secret, prefix }
}

#[must_use]
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let a = generate_secret("cbk");
        let b = generate_secret("cbk");
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with("cbk_") && a.secret.len() == 4 + 43);
        assert_eq!(a.hash, hash_secret(&a.secret));
        assert_eq!(a.prefix.len(), 10);
        assert!(a.secret.starts_with(&a.prefix));
    }
}
