//! The first-run contract: an empty database gets the workspace `Default` and its admin.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callbase_domain::{DisplayName, Role, TimeZoneName, UserId, WorkspaceId, now};
use callbase_store::{
    AuditEntry, NewUser, NewWorkspace, PageRequest, SortOrder, Store, StoreError, WorkspaceFilter,
};
use rand::Rng;

use crate::auth::hash_password;
use crate::error::ApiError;
use crate::settings::Settings;

/// What the first start created, for the console.
pub struct FirstRun {
    pub email: String,
    /// Present when we generated it: shown this once.
    pub generated_password: Option<String>,
    pub workspace_id: WorkspaceId,
}

/// Creates the admin and `Default` on an empty database; `None` when users already exist.
pub async fn first_run(store: &dyn Store, settings: &Settings) -> Result<Option<FirstRun>, String> {
    if store.count_users().await.map_err(|e| e.to_string())? > 0 {
        return Ok(None);
    }
    // A start that died half-way left a workspace without an admin: reuse it.
    let oldest = PageRequest { after: None, limit: 1, order: SortOrder::Ascending };
    let existing = store
        .list_workspaces(&WorkspaceFilter::default(), &oldest)
        .await
        .map_err(|e| e.to_string())?;
    let workspace_id = match existing.items.into_iter().next() {
        Some(workspace) => workspace.id,
        None => {
            let id = WorkspaceId::new();
            let workspace = NewWorkspace {
                id,
                name: DisplayName::parse("Default").map_err(|e| e.to_string())?,
                time_zone: TimeZoneName::utc(),
                region: None,
                at: now(),
            };
            store
                .create_workspace(
                    workspace,
                    None,
                    &AuditEntry::by_system(Some(id), "workspace.create", id, "first-run"),
                )
                .await
                .map_err(|e| e.to_string())?;
            id
        }
    };
    let (password, generated) = match &settings.admin_password {
        Some(password) => (password.expose().to_owned(), false),
        None => (generate_password(), true),
    };
    let user_id = UserId::new();
    let user = NewUser {
        id: user_id,
        email: settings.admin_email.clone(),
        name: DisplayName::parse("Administrator").map_err(|e| e.to_string())?,
        password_hash: hash_password(password.clone()).await.map_err(|e: ApiError| e.message)?,
        is_superuser: true,
        membership: Some((workspace_id, Role::Owner)),
        at: now(),
    };
    match store
        .create_user(
            user,
            &AuditEntry::by_system(Some(workspace_id), "user.create", user_id, "first-run"),
        )
        .await
    {
        Ok(_) => {}
        // Another instance starting at the same moment won the race: its admin stands.
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(err) => return Err(err.to_string()),
    }
    Ok(Some(FirstRun {
        email: settings.admin_email.to_string(),
        generated_password: generated.then_some(password),
        workspace_id,
    }))
}

/// 18 random bytes: 24 URL-safe characters, 144 bits.
fn generate_password() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
