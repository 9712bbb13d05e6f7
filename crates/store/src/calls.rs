//! What the call store takes and gives: filters, keyset pages, patches, statistics groups,
//! do-not-call entries.

use callbase_domain::call::{Call, CallEvent, CallStatus, Direction, Source};
use callbase_domain::{BlockId, BlockPattern, CallId, Timestamp, UserId, WorkspaceId};
use uuid::Uuid;

use crate::SortOrder;

/// The outcome of logging a call that may have been logged before.
#[derive(Debug, Clone, PartialEq)]
pub enum Logged {
    Created(Call),
    /// A call with the same `(source, external_id)` exists; it was left untouched.
    Existing {
        call: Call,
        fingerprint: Option<String>,
    },
}

/// `GET /calls` filters (CALL-5); every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub status: Option<CallStatus>,
    pub direction: Option<Direction>,
    pub source: Option<Source>,
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Digits either number of the call ends with (a whole number is its own suffix).
    pub number_suffix: Option<String>,
    /// Started at or after.
    pub from: Option<Timestamp>,
    /// Started before.
    pub to: Option<Timestamp>,
    /// Talk time bounds in seconds, inclusive.
    pub min_duration: Option<i64>,
    pub max_duration: Option<i64>,
    pub has_recording: Option<bool>,
    pub tag: Option<String>,
    /// Words that must all appear in the names or notes.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallSort {
    #[default]
    StartedAt,
    /// Talk time; unanswered calls count as 0.
    Duration,
}

/// Where a page ends: the sort key and id of its last call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallCursor {
    pub key: i64,
    pub id: CallId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPageRequest {
    pub sort: CallSort,
    pub order: SortOrder,
    pub after: Option<CallCursor>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallPage {
    pub items: Vec<Call>,
    pub next: Option<CallCursor>,
}

/// `PATCH /calls/{id}`: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallPatch {
    pub notes: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub disposition: Option<Option<String>>,
    pub lead_id: Option<Option<Uuid>>,
    pub user_id: Option<Option<UserId>>,
}

impl CallPatch {
    pub fn apply_to(&self, call: &mut Call) {
        if let Some(notes) = &self.notes {
            call.notes.clone_from(notes);
        }
        if let Some(tags) = &self.tags {
            call.tags.clone_from(tags);
        }
        if let Some(disposition) = &self.disposition {
            call.disposition.clone_from(disposition);
        }
        if let Some(lead) = self.lead_id {
            call.lead_id = lead;
        }
        if let Some(user) = self.user_id {
            call.user_id = user;
        }
    }
}

/// What a provider's report did (`CallStore::report_call`).
#[derive(Debug, Clone, PartialEq)]
pub enum Reported {
    /// The first report about the call created it.
    Created { call: Call, events: Vec<CallEvent> },
    /// The report moved or completed the call it is about.
    Updated { call: Call, events: Vec<CallEvent> },
    /// The report was delivered before: nothing changed.
    Duplicate(Call),
}

impl Reported {
    #[must_use]
    pub fn call(&self) -> &Call {
        match self {
            Self::Created { call, .. } | Self::Updated { call, .. } | Self::Duplicate(call) => call,
        }
    }
}

/// A command's result: the call after it, the timeline entries it added, any new leg.
#[derive(Debug, Clone, PartialEq)]
pub struct Commanded {
    pub call: Call,
    pub events: Vec<CallEvent>,
    pub leg: Option<Call>,
}

/// What statistics are summed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsGroup {
    All,
    /// Local hour buckets, to fold into days and hours of the day.
    Bucket,
    User,
    Agent,
    Source,
    Direction,
}

/// The value a statistics row is grouped under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    All,
    Bucket(i64),
    User(Option<UserId>),
    Agent(Option<Uuid>),
    Source(String),
    Direction(Direction),
}

/// One do-not-call entry (CRM-2).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockEntry {
    pub id: BlockId,
    pub workspace_id: WorkspaceId,
    pub pattern: BlockPattern,
    pub reason: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// `PATCH /blocklist/{id}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockPatch {
    pub reason: Option<Option<String>>,
    pub expires_at: Option<Option<Timestamp>>,
}
