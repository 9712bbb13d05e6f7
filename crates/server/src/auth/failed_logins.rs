//! Failed logins per account: past the limit within a minute, further attempts on that account
//! are refused 429 whatever address they come from, so spreading a password guess over many
//! addresses (or forging `X-Forwarded-For`) does not get around the per-address limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::header::RETRY_AFTER;

use crate::error::{ApiError, ErrorCode};

const WINDOW: Duration = Duration::from_secs(60);
/// Accounts tracked at most; past it the oldest windows are dropped first.
const MAX_ACCOUNTS: usize = 100_000;

#[derive(Debug)]
pub struct FailedLogins {
    limit: Option<u32>,
    /// By lower-case e-mail: when the current window began and failures in it.
    accounts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl FailedLogins {
    /// `limit` failures per minute per account; `None` turns the limit off.
    #[must_use]
    pub fn new(limit: Option<u32>) -> Self {
        Self { limit: limit.filter(|n| *n > 0), accounts: Mutex::default() }
    }

    /// 429 while the account has used up its failures for the current minute.
    ///
    /// # Errors
    /// `rate_limited` with `Retry-After`.
    pub fn check(&self, email: &str) -> Result<(), ApiError> {
        let Some(limit) = self.limit else { return Ok(()) };
        let Ok(accounts) = self.accounts.lock() else { return Ok(()) };
        let Some((started, failures)) = accounts.get(&email.to_ascii_lowercase()) else {
            return Ok(());
        };
        let elapsed = started.elapsed();
        if elapsed >= WINDOW || *failures < limit {
            return Ok(());
        }
        let seconds = (WINDOW - elapsed).as_secs().max(1);
        Err(ApiError::new(
            ErrorCode::RateLimited,
            format!("too many failed logins for this account: retry in {seconds} s"),
        )
        .with_details(serde_json::json!({ "retry_after_seconds": seconds }))
        .with_header(RETRY_AFTER, seconds))
    }

    pub fn failed(&self, email: &str) {
        if self.limit.is_none() {
            return;
        }
        let Ok(mut accounts) = self.accounts.lock() else { return };
        if accounts.len() >= MAX_ACCOUNTS {
            accounts.retain(|_, (started, _)| started.elapsed() < WINDOW);
            if accounts.len() >= MAX_ACCOUNTS {
                accounts.clear();
            }
        }
        let entry = accounts.entry(email.to_ascii_lowercase()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    pub fn succeeded(&self, email: &str) {
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.remove(&email.to_ascii_lowercase());
        }
    }

    /// Drops windows that are over.
    pub fn forget_idle(&self) {
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.retain(|_, (started, _)| started.elapsed() < WINDOW);
        }
    }
}
