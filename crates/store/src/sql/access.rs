//! Share links and invitations: the two ways into a workspace's data besides a membership.

use async_trait::async_trait;
use callbase_domain::{
    Email, InvitationId, RecordingId, Role, ShareLinkId, Timestamp, UserId, UserStatus,
    WorkspaceId, from_micros, to_micros,
};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::audit::insert_audit;
use super::{SqlStore, read, write};
use crate::error::{ConflictKind, conflict_on_unique};
use crate::{
    AccessStore, AuditEntry, Invitation, Member, ShareLink, SharedAccess, StoreError, StoreResult,
};

/// Lists of links or invitations stop here: nobody shares one recording a thousand times.
const LIST_LIMIT: i64 = 1000;

const LINK_COLUMNS: &str =
    "s.id, s.workspace_id, s.recording_id, s.created_by, s.created_at, s.expires_at, s.revoked_at";

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: Uuid,
    workspace_id: Uuid,
    recording_id: Uuid,
    created_by: Uuid,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl From<LinkRow> for ShareLink {
    fn from(row: LinkRow) -> Self {
        Self {
            id: row.id.into(),
            workspace_id: row.workspace_id.into(),
            recording_id: row.recording_id.into(),
            created_by: row.created_by.into(),
            created_at: from_micros(row.created_at),
            expires_at: from_micros(row.expires_at),
            revoked_at: row.revoked_at.map(from_micros),
        }
    }
}

#[derive(sqlx::FromRow)]
struct AccessRow {
    #[sqlx(flatten)]
    link: LinkRow,
    creator_status: String,
    creator_role: Option<String>,
}

const INVITATION_COLUMNS: &str = "i.id, i.workspace_id, w.name AS workspace_name, i.email, \
     i.role, i.invited_by, i.created_at, i.expires_at, i.accepted_at, i.revoked_at";

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: Uuid,
    workspace_id: Uuid,
    workspace_name: String,
    email: String,
    role: String,
    invited_by: Option<Uuid>,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = StoreError;

    fn try_from(row: InvitationRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id.into(),
            workspace_id: row.workspace_id.into(),
            workspace_name: row.workspace_name,
            email: Email::parse(&row.email)
                .map_err(|e| StoreError::corrupt("invitations.email", e))?,
            role: row
                .role
                .parse::<Role>()
                .map_err(|e| StoreError::corrupt("invitations.role", e))?,
            invited_by: row.invited_by.map(Into::into),
            created_at: from_micros(row.created_at),
            expires_at: from_micros(row.expires_at),
            accepted_at: row.accepted_at.map(from_micros),
            revoked_at: row.revoked_at.map(from_micros),
        })
    }
}

#[async_trait]
impl AccessStore for SqlStore {
    #[tracing::instrument(skip_all, fields(link = %link.id))]
    async fn create_share_link(&self, link: &ShareLink, audit: &AuditEntry) -> StoreResult<()> {
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO share_links (id, workspace_id, recording_id, created_by, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::from(link.id))
            .bind(Uuid::from(link.workspace_id))
            .bind(Uuid::from(link.recording_id))
            .bind(Uuid::from(link.created_by))
            .bind(to_micros(link.created_at))
            .bind(to_micros(link.expires_at))
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(link = %id))]
    async fn share_link_access(&self, id: ShareLinkId) -> StoreResult<Option<SharedAccess>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS}, u.status AS creator_status, m.role AS creator_role \
             FROM share_links s JOIN users u ON u.id = s.created_by \
             LEFT JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.created_by \
             WHERE s.id = $1"
        );
        let row: Option<AccessRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(Uuid::from(id)).fetch_optional(pool).await
        })?;
        row.map(|row| {
            Ok(SharedAccess {
                link: row.link.into(),
                creator_status: row
                    .creator_status
                    .parse::<UserStatus>()
                    .map_err(|e| StoreError::corrupt("users.status", e))?,
                creator_role: row
                    .creator_role
                    .map(|role| role.parse::<Role>())
                    .transpose()
                    .map_err(|e| StoreError::corrupt("memberships.role", e))?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, recording = %recording))]
    async fn list_share_links(
        &self,
        workspace: WorkspaceId,
        recording: RecordingId,
    ) -> StoreResult<Vec<ShareLink>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM share_links s WHERE s.workspace_id = $1 \
             AND s.recording_id = $2 ORDER BY s.id DESC LIMIT $3"
        );
        let rows: Vec<LinkRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(Uuid::from(recording))
                .bind(LIST_LIMIT)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows.into_iter().map(ShareLink::from).collect())
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace, link = %id))]
    async fn revoke_share_link(
        &self,
        workspace: WorkspaceId,
        id: ShareLinkId,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<Option<ShareLink>> {
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE share_links SET revoked_at = COALESCE(revoked_at, $3) \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(Uuid::from(workspace))
            .bind(Uuid::from(id))
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            changed
        });
        if changed == 0 {
            return Ok(None);
        }
        Ok(self.share_link_access(id).await?.map(|access| access.link))
    }

    #[tracing::instrument(skip_all, fields(invitation = %invitation.id))]
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO invitations (id, workspace_id, email, role, invited_by, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(Uuid::from(invitation.id))
            .bind(Uuid::from(invitation.workspace_id))
            .bind(invitation.email.as_str())
            .bind(invitation.role.as_str())
            .bind(invitation.invited_by.map(Uuid::from))
            .bind(to_micros(invitation.created_at))
            .bind(to_micros(invitation.expires_at))
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(invitation = %id))]
    async fn invitation(&self, id: InvitationId) -> StoreResult<Option<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i \
             JOIN workspaces w ON w.id = i.workspace_id WHERE i.id = $1"
        );
        let row: Option<InvitationRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql)).bind(Uuid::from(id)).fetch_optional(pool).await
        })?;
        row.map(Invitation::try_from).transpose()
    }

    #[tracing::instrument(skip_all, fields(workspace = %workspace))]
    async fn list_workspace_invitations(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i \
             JOIN workspaces w ON w.id = i.workspace_id \
             WHERE i.workspace_id = $1 ORDER BY i.id DESC LIMIT $2"
        );
        let rows: Vec<InvitationRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(LIST_LIMIT)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn open_invitations_for(
        &self,
        email: &Email,
        at: Timestamp,
    ) -> StoreResult<Vec<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i \
             JOIN workspaces w ON w.id = i.workspace_id \
             WHERE i.email = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL \
             AND i.expires_at > $2 ORDER BY i.id DESC LIMIT $3"
        );
        let rows: Vec<InvitationRow> = read!(self, pool => {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(email.as_str())
                .bind(to_micros(at))
                .bind(LIST_LIMIT)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    #[tracing::instrument(skip_all, fields(invitation = %id, user = %user))]
    async fn accept_invitation(
        &self,
        id: InvitationId,
        user: UserId,
        audit: &AuditEntry,
    ) -> StoreResult<Option<Member>> {
        let at = to_micros(audit.at);
        let workspace: Option<Uuid> = write!(self, pool => {
            let mut tx = pool.begin().await?;
            // Only an open invitation is taken, once: a second accept finds nothing.
            let taken: Option<(Uuid, String)> = sqlx::query_as(
                "UPDATE invitations SET accepted_at = $2 WHERE id = $1 \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
                 RETURNING workspace_id, role",
            )
            .bind(Uuid::from(id))
            .bind(at)
            .fetch_optional(&mut *tx)
            .await?;
            match taken {
                None => None,
                Some((workspace, role)) => {
                    sqlx::query(
                        "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(workspace)
                    .bind(Uuid::from(user))
                    .bind(role)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict_on_unique(ConflictKind::Member))?;
                    insert_audit!(&mut *tx, audit)?;
                    tx.commit().await?;
                    Some(workspace)
                }
            }
        });
        match workspace {
            Some(workspace) => self.member(workspace.into(), user).await,
            None => Ok(None),
        }
    }

    #[tracing::instrument(skip_all, fields(invitation = %id))]
    async fn revoke_invitation(&self, id: InvitationId, audit: &AuditEntry) -> StoreResult<bool> {
        let changed = write!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE invitations SET revoked_at = $2 WHERE id = $1 \
                 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(Uuid::from(id))
            .bind(to_micros(audit.at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            changed
        });
        Ok(changed > 0)
    }
}
