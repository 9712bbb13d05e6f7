//! callbase's typed domain values: parsed once at the edge, trusted everywhere after.

mod blocklist;
pub mod call;
mod email;
mod ids;
pub mod ingest;
mod integration;
mod phone;
pub mod recording;
mod role;
mod text;
mod time;
mod workspace;

pub use blocklist::{BlockPattern, PrefixError, is_blocked};
pub use call::*;
pub use email::{Email, EmailError};
pub use ids::IntegrationId;
pub use ids::{
    AuditId, BlockId, CallEventId, CallId, IdError, InvitationId, RecordingId, ShareLinkId,
    TokenId, UserId, WorkspaceId,
};
pub use integration::IntegrationKind;
pub use phone::{E164, PhoneError};
pub use recording::{
    MediaFacts, Recording, RecordingStatus, SegmentError, Transcript, TranscriptSegment,
};
pub use role::{AgentCallVisibility, Role, RoleError, UserStatus};
pub use text::{CONTROL_CLASS, DisplayName, TextError, WHITESPACE_CLASS, not_blank_pattern};
pub use time::{Timestamp, from_micros, now, to_micros};
pub use workspace::{RegionCode, RegionError, TimeZoneError, TimeZoneName};
