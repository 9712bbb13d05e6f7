//! What every handler can reach: the store, the settings and the rate limiters.

use std::sync::Arc;

use callbase_store::Store;

use crate::auth::AuthCache;
use crate::ops::metrics::Metrics;
use crate::ops::rate_limit::RateLimiters;
use crate::settings::Settings;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub limiters: Arc<RateLimiters>,
    pub metrics: Metrics,
    pub auth_cache: Arc<AuthCache>,
}

impl AppState {
    #[must_use]
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        let limiters = Arc::new(RateLimiters::new(&settings));
        Self {
            store,
            settings: Arc::new(settings),
            limiters,
            metrics: Metrics::global(),
            auth_cache: Arc::default(),
        }
    }
}
