//! Raw rows as both drivers decode them, and their checked conversion into domain records.

use callbase_domain::{
    DisplayName, Email, RegionCode, Role, TimeZoneName, UserStatus, from_micros,
};
use sqlx::types::Json;
use uuid::Uuid;

use crate::{
    AuditEntry, Authenticated, Member, StoreError, StoreResult, Token, TokenKind, User, Workspace,
};

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.email, u.name, u.is_superuser, u.status, u.created_at, u.updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    is_superuser: bool,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id.into(),
            email: Email::parse(&row.email).map_err(|e| StoreError::corrupt("users.email", e))?,
            name: DisplayName::parse(&row.name)
                .map_err(|e| StoreError::corrupt("users.name", e))?,
            is_superuser: row.is_superuser,
            status: row
                .status
                .parse::<UserStatus>()
                .map_err(|e| StoreError::corrupt("users.status", e))?,
            created_at: from_micros(row.created_at),
            updated_at: from_micros(row.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    #[sqlx(flatten)]
    pub(crate) user: UserRow,
    pub(crate) password_hash: String,
}

pub(crate) const WORKSPACE_COLUMNS: &str = "w.id, w.name, w.time_zone, w.region, w.recording_retention_days, w.agent_call_visibility, \
     w.created_at, w.updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    id: Uuid,
    name: String,
    time_zone: String,
    region: Option<String>,
    recording_retention_days: Option<i32>,
    agent_call_visibility: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<WorkspaceRow> for Workspace {
    type Error = StoreError;

    fn try_from(row: WorkspaceRow) -> StoreResult<Self> {
        let region = row
            .region
            .as_deref()
            .map(RegionCode::parse)
            .transpose()
            .map_err(|e| StoreError::corrupt("workspaces.region", e))?;
        Ok(Self {
            id: row.id.into(),
            name: DisplayName::parse(&row.name)
                .map_err(|e| StoreError::corrupt("workspaces.name", e))?,
            time_zone: TimeZoneName::parse(&row.time_zone)
                .map_err(|e| StoreError::corrupt("workspaces.time_zone", e))?,
            region,
            recording_retention_days: row
                .recording_retention_days
                .map(u32::try_from)
                .transpose()
                .map_err(|e| {
                StoreError::corrupt("workspaces.recording_retention_days", e)
            })?,
            agent_call_visibility: row
                .agent_call_visibility
                .parse()
                .map_err(|e| StoreError::corrupt("workspaces.agent_call_visibility", e))?,
            created_at: from_micros(row.created_at),
            updated_at: from_micros(row.updated_at),
        })
    }
}

pub(crate) fn parse_role(raw: &str) -> StoreResult<Role> {
    raw.parse::<Role>().map_err(|e| StoreError::corrupt("memberships.role", e))
}

#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    #[sqlx(flatten)]
    pub(crate) workspace: WorkspaceRow,
    pub(crate) role: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    #[sqlx(flatten)]
    user: UserRow,
    role: String,
    joined_at: i64,
}

impl TryFrom<MemberRow> for Member {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> StoreResult<Self> {
        Ok(Self {
            user: row.user.try_into()?,
            role: parse_role(&row.role)?,
            joined_at: from_micros(row.joined_at),
        })
    }
}

pub(crate) const TOKEN_COLUMNS: &str = "id, kind, user_id, workspace_id, name, prefix, \
     created_at, expires_at, revoked_at, last_used_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: Uuid,
    kind: String,
    user_id: Uuid,
    workspace_id: Option<Uuid>,
    name: String,
    prefix: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl TryFrom<TokenRow> for Token {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> StoreResult<Self> {
        let kind = match row.kind.as_str() {
            "api" => TokenKind::Api,
            "session" => TokenKind::Session,
            other => return Err(StoreError::corrupt("tokens.kind", other)),
        };
        Ok(Self {
            id: row.id.into(),
            kind,
            user_id: row.user_id.into(),
            workspace_id: row.workspace_id.map(Into::into),
            name: row.name,
            prefix: row.prefix,
            created_at: from_micros(row.created_at),
            expires_at: row.expires_at.map(from_micros),
            revoked_at: row.revoked_at.map(from_micros),
            last_used_at: row.last_used_at.map(from_micros),
        })
    }
}

pub(crate) const AUDIT_COLUMNS: &str = "id, workspace_id, actor_user, actor_token, action, \
     target_type, target_id, details, client_addr, request_id, at";

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: Uuid,
    workspace_id: Option<Uuid>,
    actor_user: Option<Uuid>,
    actor_token: Option<Uuid>,
    action: String,
    target_type: String,
    target_id: Option<String>,
    details: Json<serde_json::Value>,
    client_addr: Option<String>,
    request_id: Option<String>,
    at: i64,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id.into(),
            workspace_id: row.workspace_id.map(Into::into),
            actor_user: row.actor_user.map(Into::into),
            actor_token: row.actor_token.map(Into::into),
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            details: row.details.0,
            client_addr: row.client_addr,
            request_id: row.request_id,
            at: from_micros(row.at),
        }
    }
}

/// Converts fetched rows, failing on the first that does not parse.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> StoreResult<Vec<T>>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// Token, user and membership in one row; user columns are prefixed to keep names apart.
pub(crate) const AUTH_SQL: &str = "SELECT t.id, t.kind, t.user_id, t.workspace_id, t.name, \
     t.prefix, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, u.email AS u_email, \
     u.name AS u_name, u.is_superuser AS u_is_superuser, u.status AS u_status, \
     u.created_at AS u_created_at, u.updated_at AS u_updated_at, m.role AS role \
     FROM tokens t JOIN users u ON u.id = t.user_id \
     LEFT JOIN memberships m ON m.workspace_id = t.workspace_id AND m.user_id = t.user_id \
     WHERE t.secret_hash = $1";

#[derive(sqlx::FromRow)]
pub(crate) struct AuthRow {
    #[sqlx(flatten)]
    token: TokenRow,
    u_email: String,
    u_name: String,
    u_is_superuser: bool,
    u_status: String,
    u_created_at: i64,
    u_updated_at: i64,
    role: Option<String>,
}

impl TryFrom<AuthRow> for Authenticated {
    type Error = StoreError;

    fn try_from(row: AuthRow) -> StoreResult<Self> {
        let user = UserRow {
            id: row.token.user_id,
            email: row.u_email,
            name: row.u_name,
            is_superuser: row.u_is_superuser,
            status: row.u_status,
            created_at: row.u_created_at,
            updated_at: row.u_updated_at,
        };
        Ok(Self {
            user: user.try_into()?,
            token: row.token.try_into()?,
            role: row.role.as_deref().map(parse_role).transpose()?,
        })
    }
}
