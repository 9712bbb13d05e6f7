//! Name resolution for the egress client: the system resolver, with every address the policy
//! refuses dropped. The client connects only to what this returns, so a name cannot pass the
//! check with one answer and connect with another.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{EgressError, EgressPolicy};

pub(super) struct GuardedResolver {
    policy: Arc<EgressPolicy>,
}

impl GuardedResolver {
    pub(super) fn new(policy: Arc<EgressPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(found) => found.collect(),
                Err(err) => {
                    tracing::info!(%host, error = %err, "egress: name did not resolve");
                    return Err(Box::new(EgressError::NoAnswer) as _);
                }
            };
            let by_name = policy.allows_host(&host);
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|addr| by_name || policy.allows_addr(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(EgressError::Refused) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}
