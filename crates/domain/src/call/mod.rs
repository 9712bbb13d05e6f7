//! Calls: the record, its lifecycle state machine, derived durations and statistics rollups.

mod durations;
mod kinds;
pub(crate) mod lifecycle;
mod record;
mod rollup;
mod status;

pub use durations::{ring_seconds, talk_seconds};
pub use kinds::{Direction, EventType, Source, SourceError, UnknownName};
pub use lifecycle::{Applied, CallCommand, CallRejection, TransferTarget, apply};
pub use record::{Call, CallEvent, Cost, reversed_digits, stored_number};
pub use rollup::{
    Counters, DURATION_BUCKETS, DURATION_EDGES, RollupKey, bucket_start, contribution,
    duration_bucket, rollup_delta,
};
pub use status::{CallStatus, CallStatusError, Transition};
