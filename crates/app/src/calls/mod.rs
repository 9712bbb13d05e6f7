//! Calls: taking them in from every source, the lifecycle commands and timeline appends,
//! searching and exporting them.

pub mod commands;
pub mod export;
pub mod input;
pub mod intake;
pub mod outbound;
pub mod recordings;
pub mod search;
pub mod stats;
pub mod view;

use callbase_domain::{RegionCode, Role, UserId, WorkspaceId};
use callbase_store::Store;

use crate::error::{AppError, AppResult};

/// Who asks, as far as the call rules care: the workspace they act in, who they are there,
/// and how the timeline names them (`user:<id>`, `provider:<source>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub workspace: WorkspaceId,
    pub user: UserId,
    pub role: Role,
}

impl Actor {
    /// How the timeline names them.
    #[must_use]
    pub fn label(&self) -> String {
        format!("user:{}", self.user)
    }

    fn is_agent(&self) -> bool {
        self.role == Role::Agent
    }

    /// An agent assigns calls only to themselves, never to someone else (AUTH-2).
    ///
    /// # Errors
    /// `Forbidden` naming `user_id` for an agent naming someone else.
    pub fn check_assignment(&self, user: Option<UserId>) -> AppResult<()> {
        if self.is_agent() && user != Some(self.user) {
            return Err(AppError::Forbidden {
                message: "an agent cannot assign a call to someone else".into(),
                field: Some("user_id"),
            });
        }
        Ok(())
    }
}

/// A call's user must belong to the call's workspace: `UserNotFound` naming `field`
/// otherwise, as for any id that names nothing the caller can see.
///
/// # Errors
/// As above, or the store's.
pub async fn check_member(
    store: &dyn Store,
    workspace: WorkspaceId,
    user: UserId,
    field: &'static str,
) -> AppResult<()> {
    match store.role_in(workspace, user).await? {
        Some(_) => Ok(()),
        None => Err(AppError::UserNotFound { field }),
    }
}

/// The country national numbers are read in.
///
/// # Errors
/// `WorkspaceNotFound` when it was deleted meanwhile, or the store's.
pub async fn workspace_region(
    store: &dyn Store,
    workspace: WorkspaceId,
) -> AppResult<Option<RegionCode>> {
    let workspace = store.workspace(workspace).await?.ok_or(AppError::WorkspaceNotFound)?;
    Ok(workspace.region)
}
