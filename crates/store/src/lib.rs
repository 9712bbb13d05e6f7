//! callbase storage: the `Store` traits, their SQL implementation for SQLite and PostgreSQL,
//! and the contract suite both databases must pass.

mod calls;
mod error;
mod integrations;
mod model;
mod page;
mod recordings;
mod sql;
pub mod testing;

pub use calls::*;
pub use error::{ConflictKind, StoreError, StoreResult};
pub use integrations::*;
pub use model::*;
pub use page::{Page, PageRequest, SortOrder};
pub use recordings::*;
pub use sql::{Backend, SqlStore, SqliteTuning};

use async_trait::async_trait;
use callbase_domain::call::{
    Call, CallCommand, CallEvent, CallReport, CallStart, CallStatus, Counters, RollupKey, Source,
};
use callbase_domain::recording::{Recording, Transcript};
use callbase_domain::{
    BlockId, CallId, E164, Email, RecordingId, Role, Timestamp, TokenId, UserId, WorkspaceId,
};

/// Everything the server needs from a database.
pub trait Store:
    UserStore
    + WorkspaceStore
    + TokenStore
    + AuditStore
    + CallStore
    + BlocklistStore
    + RecordingStore
    + AccessStore
    + IntegrationStore
    + Admin
    + Send
    + Sync
{
}
impl<T> Store for T where
    T: UserStore
        + WorkspaceStore
        + TokenStore
        + AuditStore
        + CallStore
        + BlocklistStore
        + RecordingStore
        + AccessStore
        + IntegrationStore
        + Admin
        + Send
        + Sync
{
}

/// Accounts. Users belong to no workspace; memberships connect them.
#[async_trait]
pub trait UserStore {
    /// Fails with `Conflict` when the e-mail address is taken.
    async fn create_user(&self, user: NewUser, audit: &AuditEntry) -> StoreResult<User>;
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// The user and their password hash, for logging in.
    async fn user_credentials(&self, email: &Email) -> StoreResult<Option<(User, String)>>;
    async fn list_users(&self, filter: &UserFilter, page: &PageRequest) -> StoreResult<Page<User>>;
    async fn update_user(
        &self,
        id: UserId,
        patch: &UserPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<User>>;
    async fn count_users(&self) -> StoreResult<u64>;
    /// Active superusers, so the last one cannot step down.
    async fn count_superusers(&self) -> StoreResult<u64>;
}

/// Workspaces and who belongs to them with which role.
#[async_trait]
pub trait WorkspaceStore {
    /// Creates the workspace and, when given, its first owner, in one transaction.
    async fn create_workspace(
        &self,
        workspace: NewWorkspace,
        owner: Option<UserId>,
        audit: &AuditEntry,
    ) -> StoreResult<Workspace>;
    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Option<Workspace>>;
    async fn list_workspaces(
        &self,
        filter: &WorkspaceFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Workspace>>;
    async fn update_workspace(
        &self,
        id: WorkspaceId,
        patch: &WorkspacePatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Workspace>>;
    /// Deletes the workspace and everything in it. False when it did not exist.
    async fn delete_workspace(&self, id: WorkspaceId, audit: &AuditEntry) -> StoreResult<bool>;
    async fn workspace_stats(&self, id: WorkspaceId) -> StoreResult<WorkspaceStats>;

    /// The user's workspaces with their role in each, oldest membership first.
    async fn memberships(&self, user: UserId) -> StoreResult<Vec<Membership>>;
    async fn role_in(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Option<Role>>;
    async fn list_members(
        &self,
        workspace: WorkspaceId,
        page: &PageRequest,
    ) -> StoreResult<Page<Member>>;
    /// Fails with `Conflict` when the user is already a member.
    async fn add_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: &AuditEntry,
    ) -> StoreResult<Member>;
    /// Fails with `LastOwner` when this would leave the workspace without an owner.
    async fn set_member_role(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Member>>;
    /// Fails with `LastOwner` when this would leave the workspace without an owner.
    async fn remove_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
}

/// API tokens and login sessions, looked up by the hash of their secret.
#[async_trait]
pub trait TokenStore {
    /// `audit` is `None` for login sessions, which are not mutations of workspace data.
    async fn create_token(&self, token: NewToken, audit: Option<&AuditEntry>)
    -> StoreResult<Token>;
    async fn token_by_secret_hash(&self, secret_hash: &[u8]) -> StoreResult<Option<Token>>;
    /// Everything authentication needs in one read: the token, its user, and the user's role
    /// in the token's workspace (`None` for sessions, or when the membership is gone).
    async fn authenticate(&self, secret_hash: &[u8]) -> StoreResult<Option<Authenticated>>;
    async fn token(&self, id: TokenId) -> StoreResult<Option<Token>>;
    async fn list_tokens(
        &self,
        filter: &TokenFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Token>>;
    /// Records use, at most once per `granularity` (microseconds) to keep reads cheap.
    async fn touch_token(&self, id: TokenId, at: Timestamp, granularity: i64) -> StoreResult<()>;
    async fn revoke_token(
        &self,
        id: TokenId,
        at: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Option<Token>>;
}

/// Share links and invitations: the ways into data other than a membership.
#[async_trait]
pub trait AccessStore {
    async fn create_share_link(&self, link: &ShareLink, audit: &AuditEntry) -> StoreResult<()>;
    /// The link by id, whatever its workspace (its holder is not logged in).
    async fn share_link_access(
        &self,
        id: callbase_domain::ShareLinkId,
    ) -> StoreResult<Option<SharedAccess>>;
    /// A recording's links, newest first (at most 1,000).
    async fn list_share_links(
        &self,
        workspace: WorkspaceId,
        recording: RecordingId,
    ) -> StoreResult<Vec<ShareLink>>;
    async fn revoke_share_link(
        &self,
        workspace: WorkspaceId,
        id: callbase_domain::ShareLinkId,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<Option<ShareLink>>;
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn invitation(
        &self,
        id: callbase_domain::InvitationId,
    ) -> StoreResult<Option<Invitation>>;
    /// A workspace's invitations, newest first (at most 1,000).
    async fn list_workspace_invitations(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<Invitation>>;
    /// Invitations to this address still open at `at`, newest first (at most 1,000).
    async fn open_invitations_for(
        &self,
        email: &Email,
        at: Timestamp,
    ) -> StoreResult<Vec<Invitation>>;
    /// Accepts an open invitation for `user`: the membership and the acceptance in one
    /// transaction. `None` when it is not open any more.
    async fn accept_invitation(
        &self,
        id: callbase_domain::InvitationId,
        user: UserId,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Member>>;
    /// Withdraws (by the workspace) or declines (by the invitee) an open invitation.
    async fn revoke_invitation(
        &self,
        id: callbase_domain::InvitationId,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
}

/// The append-only record of every mutation.
#[async_trait]
pub trait AuditStore {
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<AuditRecord>>;
}

/// Calls, their timelines and the statistics rollups, kept current in the same transaction
/// as every change.
#[async_trait]
pub trait CallStore {
    /// Logs a call with its first timeline entries and the fingerprint of the request that
    /// created it. When the workspace already has a call with the same source and external
    /// id, returns that one untouched, with its fingerprint.
    async fn create_call(
        &self,
        call: &Call,
        fingerprint: Option<&str>,
        events: &[CallEvent],
    ) -> StoreResult<Logged>;
    /// Applies a provider's report to the workspace's call with the report's source and
    /// external id ([`apply_report`]), creating the call it starts with `start`
    /// ([`started_by`]) when there is none, with the new timeline entries and rollup
    /// changes, in one transaction. A call it creates is flagged `blocked` when its remote
    /// number is on the workspace's do-not-call list then (CRM-2; read in that transaction,
    /// so the reports about a call that exists, most of them, do not read it). A report whose
    /// receipt the call has seen changes nothing (`Duplicate`).
    ///
    /// [`apply_report`]: callbase_domain::call::apply_report
    /// [`started_by`]: callbase_domain::call::started_by
    async fn report_call(
        &self,
        workspace: WorkspaceId,
        report: &CallReport,
        start: &CallStart,
    ) -> StoreResult<Reported>;
    /// Forgets the receipts received before `before`, oldest first, a bounded number per
    /// statement; answers how many. A delivery of one of those events again is then taken as
    /// new.
    async fn forget_receipts(&self, before: Timestamp) -> StoreResult<u64>;
    /// Records that `source` delivered the event named `receipt` about `call`; false when it
    /// had been delivered before (for events that change no call, such as a recording's).
    async fn claim_receipt(
        &self,
        workspace: WorkspaceId,
        source: &Source,
        receipt: &str,
        call: CallId,
    ) -> StoreResult<bool>;
    async fn call(&self, workspace: WorkspaceId, id: CallId) -> StoreResult<Option<Call>>;
    /// The workspace's call with this source and external id.
    async fn call_by_external_id(
        &self,
        workspace: WorkspaceId,
        source: &Source,
        external_id: &str,
    ) -> StoreResult<Option<Call>>;
    /// The workspace's most recent call with this SIP Call-ID.
    async fn call_by_sip_call_id(
        &self,
        workspace: WorkspaceId,
        sip_call_id: &str,
    ) -> StoreResult<Option<Call>>;
    /// The calls transferred from or bridged off this one (its legs), oldest first.
    async fn call_legs(&self, workspace: WorkspaceId, id: CallId) -> StoreResult<Vec<Call>>;
    /// The timeline, in time order.
    async fn call_events(&self, workspace: WorkspaceId, id: CallId) -> StoreResult<Vec<CallEvent>>;
    /// Runs a lifecycle command on the call; `Rejected` when the lifecycle forbids it.
    async fn command_call(
        &self,
        workspace: WorkspaceId,
        id: CallId,
        command: CallCommand,
        actor: Option<&str>,
    ) -> StoreResult<Option<Commanded>>;
    /// Appends a timeline entry that changes nothing about the call (a note, DTMF, a custom
    /// event), and answers the call's status. The ingest hot path: no call row is read
    /// whole or written. `None` when the call is not in the workspace.
    async fn append_event(
        &self,
        workspace: WorkspaceId,
        event: &CallEvent,
    ) -> StoreResult<Option<CallStatus>>;
    async fn update_call(
        &self,
        workspace: WorkspaceId,
        id: CallId,
        patch: &CallPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Call>>;
    async fn delete_call(
        &self,
        workspace: WorkspaceId,
        id: CallId,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    async fn list_calls(
        &self,
        workspace: WorkspaceId,
        filter: &CallFilter,
        page: &CallPageRequest,
    ) -> StoreResult<CallPage>;
    /// Sums of the rollup rows whose local hour starts in `[from, to)` (µs), by `group`.
    async fn call_stats(
        &self,
        workspace: WorkspaceId,
        from: i64,
        to: i64,
        group: StatsGroup,
    ) -> StoreResult<Vec<(GroupKey, Counters)>>;
    /// Every non-zero rollup row, for checking them against a recomputation.
    async fn rollup_rows(&self, workspace: WorkspaceId) -> StoreResult<Vec<(RollupKey, Counters)>>;
    /// The rollup rows the calls that started in `[from, to)` (µs) would make in `tz`,
    /// summed per row: for the partial hours at the ends of a statistics window. Reads
    /// only the columns a contribution needs.
    async fn call_contributions(
        &self,
        workspace: WorkspaceId,
        from: i64,
        to: i64,
        tz: &jiff::tz::TimeZone,
    ) -> StoreResult<Vec<(RollupKey, Counters)>>;
    /// [`CallStore::call_stats`] of the calls assigned to one user (an agent who sees only
    /// their own).
    async fn user_call_stats(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        from: i64,
        to: i64,
        group: StatsGroup,
    ) -> StoreResult<Vec<(GroupKey, Counters)>>;
    /// [`CallStore::call_contributions`] of the calls assigned to one user.
    async fn user_call_contributions(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        from: i64,
        to: i64,
        tz: &jiff::tz::TimeZone,
    ) -> StoreResult<Vec<(RollupKey, Counters)>>;
}

/// The do-not-call list (CRM-2).
#[async_trait]
pub trait BlocklistStore {
    /// Fails with `Conflict(BlocklistEntry)` when the pattern is already listed.
    async fn create_block(&self, entry: &BlockEntry, audit: &AuditEntry)
    -> StoreResult<BlockEntry>;
    async fn block(&self, workspace: WorkspaceId, id: BlockId) -> StoreResult<Option<BlockEntry>>;
    async fn list_blocks(
        &self,
        workspace: WorkspaceId,
        page: &PageRequest,
    ) -> StoreResult<Page<BlockEntry>>;
    async fn update_block(
        &self,
        workspace: WorkspaceId,
        id: BlockId,
        patch: &BlockPatch,
        audit: &AuditEntry,
    ) -> StoreResult<Option<BlockEntry>>;
    async fn delete_block(
        &self,
        workspace: WorkspaceId,
        id: BlockId,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// The entries that block `number` at `at`: unexpired, the number itself or a prefix.
    async fn blocking_entries(
        &self,
        workspace: WorkspaceId,
        number: &E164,
        at: Timestamp,
    ) -> StoreResult<Vec<BlockEntry>>;
}

/// Recordings (their facts; the bytes live in a storage backend) and transcripts (REC).
#[async_trait]
pub trait RecordingStore {
    /// Stores the recording, and when it has media marks the call recorded and gives it the
    /// recording's length if it has none. `None` when the call is not in the workspace.
    async fn create_recording(
        &self,
        recording: &Recording,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Recording>>;
    async fn recording(
        &self,
        workspace: WorkspaceId,
        id: RecordingId,
    ) -> StoreResult<Option<Recording>>;
    async fn list_recordings(
        &self,
        workspace: WorkspaceId,
        filter: &RecordingFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Recording>>;
    /// `audit` is `None` for changes the system makes on its own (a finished fetch).
    async fn update_recording(
        &self,
        workspace: WorkspaceId,
        id: RecordingId,
        change: &RecordingChange,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Option<Recording>>;
    /// Deletes the row (and its transcript) and returns it, so the caller can remove the
    /// bytes; the call stays marked recorded only while it has other recordings.
    async fn delete_recording(
        &self,
        workspace: WorkspaceId,
        id: RecordingId,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Recording>>;
    /// Recordings created before `before`, oldest first, for retention.
    async fn recordings_created_before(
        &self,
        workspace: WorkspaceId,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Recording>>;
    /// Workspaces that keep recordings a limited number of days.
    async fn retention_policies(&self) -> StoreResult<Vec<(WorkspaceId, u32)>>;

    /// Replaces the recording's transcript. `None` when the recording is not there.
    async fn put_transcript(
        &self,
        workspace: WorkspaceId,
        transcript: &Transcript,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Option<Transcript>>;
    async fn transcript(
        &self,
        workspace: WorkspaceId,
        recording: RecordingId,
    ) -> StoreResult<Option<Transcript>>;
    /// Segments whose text matches every word of `q`, newest recording first.
    async fn search_transcripts(
        &self,
        workspace: WorkspaceId,
        q: &str,
        limit: u32,
    ) -> StoreResult<Vec<TranscriptHit>>;

    /// The key stored under `name`, storing `generated` first when there is none yet, so
    /// every instance of the server ends up with the same one.
    async fn server_key(&self, name: &str, generated: &[u8]) -> StoreResult<Vec<u8>>;
}

/// Schema and liveness, for `migrate` and `/readyz`.
#[async_trait]
pub trait Admin {
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// Connections open and idle.
    fn pool_state(&self) -> (u32, usize);
    /// Moves timeline entries waiting in SQLite's inbox into the timeline table now (the
    /// committer does it by itself when the inbox fills or writes pause); answers how many
    /// moved. Reads see the entries either way; PostgreSQL has no inbox.
    async fn fold_timeline_inbox(&self) -> StoreResult<u64>;
}
