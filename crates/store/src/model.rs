//! The records the store reads and writes, in domain types.

use callbase_domain::{
    AuditId, DisplayName, Email, RegionCode, Role, TimeZoneName, Timestamp, TokenId, UserId,
    UserStatus, WorkspaceId,
};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub is_superuser: bool,
    pub status: UserStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub name: DisplayName,
    pub password_hash: String,
    pub is_superuser: bool,
    /// Join this workspace with this role, in the same transaction.
    pub membership: Option<(WorkspaceId, Role)>,
    pub at: Timestamp,
}

/// Fields left `None` stay as they are.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<DisplayName>,
    pub password_hash: Option<String>,
    pub is_superuser: Option<bool>,
    pub status: Option<UserStatus>,
    pub at: Option<Timestamp>,
    /// Ends the user's login sessions in the same transaction (a password change), all but
    /// `keep` (the session that made the change).
    pub end_sessions: Option<EndSessions>,
}

/// Which login sessions a change ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndSessions {
    pub keep: Option<TokenId>,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only members of this workspace.
    pub workspace: Option<WorkspaceId>,
    pub status: Option<UserStatus>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: DisplayName,
    pub time_zone: TimeZoneName,
    pub region: Option<RegionCode>,
    /// Recordings older than this many days are deleted by the retention worker (REC-7).
    pub recording_retention_days: Option<u32>,
    pub agent_call_visibility: callbase_domain::AgentCallVisibility,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub id: WorkspaceId,
    pub name: DisplayName,
    pub time_zone: TimeZoneName,
    pub region: Option<RegionCode>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct WorkspacePatch {
    pub name: Option<DisplayName>,
    pub time_zone: Option<TimeZoneName>,
    /// `Some(None)` clears the region.
    pub region: Option<Option<RegionCode>>,
    /// `Some(None)` keeps recordings forever.
    pub recording_retention_days: Option<Option<u32>>,
    pub agent_call_visibility: Option<callbase_domain::AgentCallVisibility>,
    pub at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default)]
pub struct WorkspaceFilter {
    /// Only workspaces this user belongs to.
    pub member: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkspaceStats {
    pub members: u64,
    pub api_tokens: u64,
    pub audit_events: u64,
    pub calls: u64,
    /// Talk time of every answered, finished call.
    pub talk_seconds: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub workspace: Workspace,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub joined_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Long-lived, named, scoped to one workspace.
    Api,
    /// A login; acts in whichever of the user's workspaces the request names.
    Session,
}

impl TokenKind {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Session => "session",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub id: TokenId,
    pub kind: TokenKind,
    pub user_id: UserId,
    pub workspace_id: Option<WorkspaceId>,
    pub name: String,
    /// The first characters of the secret, to recognise a token in a list.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl Token {
    #[must_use]
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expiry| now < expiry)
    }
}

/// A token found by its secret, with its user and role, for authenticating a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Authenticated {
    pub token: Token,
    pub user: User,
    pub role: Option<Role>,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: TokenId,
    pub kind: TokenKind,
    pub secret_hash: Vec<u8>,
    pub user_id: UserId,
    pub workspace_id: Option<WorkspaceId>,
    pub name: String,
    pub prefix: String,
    pub at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    pub kind: Option<TokenKind>,
    pub workspace: Option<WorkspaceId>,
    pub user: Option<UserId>,
}

/// Who did what to which thing, from where: written in the same transaction as the change.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: AuditId,
    pub workspace_id: Option<WorkspaceId>,
    pub actor_user: Option<UserId>,
    pub actor_token: Option<TokenId>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub at: Timestamp,
}

impl AuditEntry {
    /// An entry without actor details yet: `action` is `resource.verb`, whose resource part
    /// names the target's type.
    #[must_use]
    pub fn new(
        workspace: Option<WorkspaceId>,
        action: &str,
        target_id: impl std::fmt::Display,
    ) -> Self {
        Self {
            id: AuditId::new(),
            workspace_id: workspace,
            actor_user: None,
            actor_token: None,
            action: action.to_owned(),
            target_type: action.split('.').next().unwrap_or(action).to_owned(),
            target_id: Some(target_id.to_string()),
            details: serde_json::Value::Object(serde_json::Map::new()),
            client_addr: None,
            request_id: None,
            at: callbase_domain::now(),
        }
    }

    /// A change made by the system itself rather than a caller (`by`: `cli`, `first-run`).
    #[must_use]
    pub fn by_system(
        workspace: Option<WorkspaceId>,
        action: &str,
        target_id: impl std::fmt::Display,
        by: &str,
    ) -> Self {
        Self { details: serde_json::json!({ "by": by }), ..Self::new(workspace, action, target_id) }
    }
}

pub type AuditRecord = AuditEntry;

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub workspace: Option<WorkspaceId>,
    /// Only entries that belong to no workspace.
    pub instance_only: bool,
    pub action: Option<String>,
    pub actor_user: Option<UserId>,
    pub target_id: Option<String>,
}

/// A link that plays one recording without logging in, until it expires or is revoked, and
/// only while its creator may still share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    pub id: callbase_domain::ShareLinkId,
    pub workspace_id: WorkspaceId,
    pub recording_id: callbase_domain::RecordingId,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A share link with what its use depends on: its creator's account status and role in the
/// link's workspace now.
#[derive(Debug, Clone)]
pub struct SharedAccess {
    pub link: ShareLink,
    pub creator_status: UserStatus,
    pub creator_role: Option<Role>,
}

/// An invitation into a workspace, accepted by the user whose address it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: callbase_domain::InvitationId,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub email: Email,
    pub role: Role,
    pub invited_by: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}
