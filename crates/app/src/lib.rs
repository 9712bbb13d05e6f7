//! callbase's application layer: the use cases between the edges (HTTP, the CLI) and the
//! store — taking calls in from every source, commanding and searching them — and the one
//! guarded egress client for every request to a URL someone supplied (SPEC REL-5).

pub mod cache;
pub mod calls;
pub mod egress;
pub mod error;
pub mod integrations;
pub mod providers;
pub mod secrets;
