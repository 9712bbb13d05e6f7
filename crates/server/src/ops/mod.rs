//! Operations: health, readiness, metrics, rate limits, request ids, logging, headers.

pub mod health;
pub mod metrics;
pub mod rate_limit;
pub mod request_id;
pub mod responses;
pub mod timeout;
