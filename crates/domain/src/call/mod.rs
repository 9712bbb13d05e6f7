//! Calls: the record, its lifecycle state machine, derived durations and statistics rollups.

mod durations;
mod intake;
mod kinds;
pub(crate) mod lifecycle;
mod record;
mod report;
mod rollup;
mod status;
mod timeline;

pub use durations::{ring_seconds, talk_seconds};
pub use intake::{
    CallStart, FieldError, MAX_RAW_PAYLOADS, ReportedCall, apply_report, check_consistency,
    implied_status, initial_timeline, started_by,
};
pub use kinds::{Direction, EventType, Source, SourceError, UnknownName};
pub use lifecycle::{Applied, CallCommand, CallRejection, TransferTarget, apply};
pub use record::{Call, CallEvent, Cost, reversed_digits, stored_number};
pub use report::{CallRef, CallReport, RecordingReport, ReportedRecordingStatus};
pub use rollup::{
    Counters, DURATION_BUCKETS, DURATION_EDGES, RollupKey, bucket_start, contribution,
    duration_bucket, rollup_delta,
};
pub use status::{CallStatus, CallStatusError, Transition};
pub use timeline::{
    Dtmf, EntryDataError, HoldChange, MuteChange, NoteEntry, QualityReading, RecordingMark,
    StatusChange, TimelineEntry, TransferEntry,
};
