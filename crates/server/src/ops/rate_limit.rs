//! Rate limits per client address, per token and for login attempts; 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::ClientInfo;
use crate::error::{ApiError, ErrorCode};
use crate::settings::{RateLimit, Settings};
use crate::state::AppState;

type Keyed<K> = DefaultKeyedRateLimiter<K>;

pub struct RateLimiters {
    per_ip: Option<Keyed<IpAddr>>,
    per_token: Option<Keyed<Vec<u8>>>,
    login: Option<Keyed<IpAddr>>,
}

fn quota(limit: RateLimit) -> Option<Quota> {
    let rate = NonZeroU32::new(limit.per_second)?;
    let burst = NonZeroU32::new(limit.burst.max(limit.per_second))?;
    Some(Quota::per_second(rate).allow_burst(burst))
}

impl RateLimiters {
    #[must_use]
    pub fn new(settings: &Settings) -> Self {
        let login = settings
            .login_attempts_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Self {
            per_ip: settings.rate_limit_ip.and_then(quota).map(RateLimiter::keyed),
            per_token: settings.rate_limit_token.and_then(quota).map(RateLimiter::keyed),
            login,
        }
    }

    /// One login attempt's slot; refused once the per-minute budget is spent.
    pub fn check_login(&self, addr: Option<IpAddr>) -> Result<(), ApiError> {
        match (&self.login, addr) {
            (Some(limiter), Some(addr)) => check(limiter, &addr, "too many login attempts"),
            _ => Ok(()),
        }
    }

    /// Forgets keys whose buckets are full again, so memory tracks active clients only.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.per_token {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.login {
            limiter.retain_recent();
        }
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Keyed<K>,
    key: &K,
    message: &str,
) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        ApiError::new(ErrorCode::RateLimited, format!("{message}: retry in {seconds} s"))
            .with_details(serde_json::json!({ "retry_after_seconds": seconds }))
            .with_header(RETRY_AFTER, seconds)
    })
}

/// Applies the per-address and per-token limits before any work is done.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limiters = &state.limiters;
    if let Some(limiter) = &limiters.per_ip {
        let client =
            ClientInfo::from_head(request.headers(), request.extensions(), &state.settings);
        if let Some(addr) = client.addr
            && let Err(err) = check(limiter, &addr, "too many requests from this address")
        {
            return err.into_response();
        }
    }
    if let (Some(limiter), Some(value)) =
        (&limiters.per_token, request.headers().get(AUTHORIZATION))
    {
        let key = crate::auth::hash_secret(value.to_str().unwrap_or_default());
        if let Err(err) = check(limiter, &key, "too many requests with this token") {
            return err.into_response();
        }
    }
    next.run(request).await
}
