//! `callbase user …` and `callbase token …`: administration straight on the database, for
//! recovering access and for scripts.

use callbase_domain::{DisplayName, Email, Role, TokenId, UserId, WorkspaceId, now};
use callbase_server::auth::{generate_secret, hash_password};
use callbase_store::{
    AuditEntry, NewToken, NewUser, Store, TokenKind, TokenStore, User, UserPatch, UserStore,
    WorkspaceStore,
};
use clap::Subcommand;

use crate::config::{self, DataArgs, FileValues};
use crate::{logging, parse, serve};

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user (prints a generated password unless --password is given).
    Create {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_parser = parse::email)]
        email: Email,
        #[arg(long, default_value = "New user")]
        name: String,
        #[arg(long, env = "CALLBASE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Make the user a superuser.
        #[arg(long)]
        superuser: bool,
        /// Add the user to this workspace (with --role).
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: Option<WorkspaceId>,
        /// Role in --workspace: owner, admin, agent or viewer [default: agent].
        #[arg(long)]
        role: Option<Role>,
    },
    /// Set a new password (prints a generated one unless --password is given).
    ResetPassword {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_parser = parse::email)]
        email: Email,
        #[arg(long, env = "CALLBASE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Make an existing user a superuser.
    MakeSuperuser {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_parser = parse::email)]
        email: Email,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create an API token for a user in one of their workspaces and print its secret.
    Create {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_parser = parse::email)]
        email: Email,
        /// The token's workspace [default: the user's first].
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: Option<WorkspaceId>,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Lifetime such as 90d [default: until revoked].
        #[arg(long, value_parser = parse::duration)]
        expires_in: Option<std::time::Duration>,
    },
}

async fn open(data: &DataArgs) -> Result<callbase_store::SqlStore, String> {
    let file = FileValues::load(data.config.as_deref())?;
    let (mut settings, logging) = config::resolve_data(data, &file)?;
    settings.db_max_connections = settings.db_max_connections.min(2);
    logging::init(&logging)?;
    serve::open_store(&settings).await
}

fn password_or_generated(password: Option<String>) -> Result<(String, bool), String> {
    match password {
        Some(password) if password.chars().count() >= 8 => Ok((password, false)),
        Some(_) => Err("--password must be at least 8 characters".to_owned()),
        None => {
            let secret = generate_secret("pw");
            Ok((secret.secret.trim_start_matches("pw_").chars().take(24).collect(), true))
        }
    }
}

async fn find_user(store: &dyn Store, email: &Email) -> Result<User, String> {
    store
        .user_credentials(email)
        .await
        .map_err(|e| e.to_string())?
        .map(|(user, _)| user)
        .ok_or_else(|| format!("no user with e-mail {email}"))
}

pub async fn user(action: UserAction) -> Result<(), String> {
    match action {
        UserAction::Create { data, email, name, password, superuser, workspace, role } => {
            let store = open(&data).await?;
            let name = DisplayName::parse(&name).map_err(|e| format!("--name {e}"))?;
            if role.is_some() && workspace.is_none() {
                return Err("--role needs --workspace".to_owned());
            }
            if let Some(workspace) = workspace
                && store.workspace(workspace).await.map_err(|e| e.to_string())?.is_none()
            {
                return Err(format!("no workspace {workspace}"));
            }
            let (password, generated) = password_or_generated(password)?;
            let id = UserId::new();
            let user = NewUser {
                id,
                email: email.clone(),
                name,
                password_hash: hash_password(password.clone()).await.map_err(|e| e.message)?,
                is_superuser: superuser,
                membership: workspace.map(|w| (w, role.unwrap_or(Role::Agent))),
                at: now(),
            };
            store
                .create_user(user, &AuditEntry::by_system(workspace, "user.create", id, "cli"))
                .await
                .map_err(|e| match e {
                    callbase_store::StoreError::Conflict(_) => {
                        format!("a user with e-mail {email} already exists")
                    }
                    other => other.to_string(),
                })?;
            println!("created user {email} ({id})");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserAction::ResetPassword { data, email, password } => {
            let store = open(&data).await?;
            let user = find_user(&store, &email).await?;
            let (password, generated) = password_or_generated(password)?;
            let patch = UserPatch {
                password_hash: Some(hash_password(password.clone()).await.map_err(|e| e.message)?),
                // Whoever knew the old password is logged out everywhere.
                end_sessions: Some(callbase_store::EndSessions { keep: None }),
                ..UserPatch::default()
            };
            store
                .update_user(
                    user.id,
                    &patch,
                    &AuditEntry::by_system(None, "user.reset_password", user.id, "cli"),
                )
                .await
                .map_err(|e| e.to_string())?;
            println!("password of {email} changed; their login sessions were ended");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserAction::MakeSuperuser { data, email } => {
            let store = open(&data).await?;
            let user = find_user(&store, &email).await?;
            let patch = UserPatch { is_superuser: Some(true), ..UserPatch::default() };
            store
                .update_user(
                    user.id,
                    &patch,
                    &AuditEntry::by_system(None, "user.make_superuser", user.id, "cli"),
                )
                .await
                .map_err(|e| e.to_string())?;
            println!("{email} is now a superuser");
            Ok(())
        }
    }
}

pub async fn token(action: TokenAction) -> Result<(), String> {
    let TokenAction::Create { data, email, workspace, name, expires_in } = action;
    let store = open(&data).await?;
    let user = find_user(&store, &email).await?;
    let memberships = store.memberships(user.id).await.map_err(|e| e.to_string())?;
    let workspace = match workspace {
        Some(id) if memberships.iter().any(|m| m.workspace.id == id) || user.is_superuser => id,
        Some(id) => return Err(format!("{email} is not a member of workspace {id}")),
        None => memberships
            .first()
            .map(|m| m.workspace.id)
            .ok_or_else(|| format!("{email} is not a member of any workspace: pass --workspace"))?,
    };
    let at = now();
    let expires_at = match expires_in {
        None => None,
        Some(duration) => {
            let span = jiff::SignedDuration::try_from(duration).map_err(|e| e.to_string())?;
            Some(at.checked_add(span).map_err(|e| format!("--expires-in: {e}"))?)
        }
    };
    let generated = generate_secret("cbk");
    let id = TokenId::new();
    let token = NewToken {
        id,
        kind: TokenKind::Api,
        secret_hash: generated.hash,
        user_id: user.id,
        workspace_id: Some(workspace),
        name,
        prefix: generated.prefix,
        at,
        expires_at,
    };
    store
        .create_token(
            token,
            Some(&AuditEntry::by_system(Some(workspace), "token.create", id, "cli")),
        )
        .await
        .map_err(|e| e.to_string())?;
    println!("{}", generated.secret);
    eprintln!("token {id} for {email} in workspace {workspace} (shown once)");
    Ok(())
}
