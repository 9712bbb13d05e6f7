//! Who is calling and in which workspace: secrets, passwords and the request's principal.

pub mod cache;
mod failed_logins;
mod password;
mod principal;
mod secret;

pub use cache::AuthCache;
pub use failed_logins::FailedLogins;
pub use password::{hash_password, verify_password};
pub use principal::{ClientInfo, Principal};
pub use secret::{
    GeneratedSecret, SECURE_SESSION_COOKIE, SESSION_COOKIE, generate_secret, hash_secret,
    session_cookie_name,
};
