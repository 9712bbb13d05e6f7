//! Who is calling and in which workspace: secrets, passwords and the request's principal.

pub mod cache;
mod password;
mod principal;
mod secret;

pub use cache::AuthCache;
pub use password::{hash_password, verify_password};
pub use principal::{ClientInfo, Principal};
pub use secret::{GeneratedSecret, SESSION_COOKIE, generate_secret, hash_secret};
