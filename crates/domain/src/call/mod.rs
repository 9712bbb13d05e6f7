//! Calls: the lifecycle state machine and the derived durations.

mod durations;
mod status;

pub use durations::{ring_seconds, talk_seconds};
pub use status::{CallStatus, CallStatusError, Transition};
