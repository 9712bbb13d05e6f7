//! Membership roles and account status, and what each role may do.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct RoleError(pub String);

/// A member's role in one workspace, from most to least powerful.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Agent,
    Viewer,
}

impl Role {
    pub const ALL: [Self; 4] = [Self::Owner, Self::Admin, Self::Agent, Self::Viewer];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Agent => "agent",
            Self::Viewer => "viewer",
        }
    }

    /// Members, tokens, workspace settings, the audit log.
    #[must_use]
    pub const fn can_administer(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }

    /// Create and change the workspace's data (calls, notes, …).
    #[must_use]
    pub const fn can_write(self) -> bool {
        !matches!(self, Self::Viewer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| RoleError(s.to_owned()))
    }
}

/// Whether an account may authenticate at all.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Suspended,
}

impl UserStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }
}

impl FromStr for UserStatus {
    type Err = RoleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            other => Err(RoleError(other.to_owned())),
        }
    }
}

/// Which calls an agent sees in a workspace (AUTH-6): `all` of them, or only their `own`
/// (those assigned to them), in lists, search, export, statistics and recordings alike.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgentCallVisibility {
    #[default]
    All,
    Own,
}

impl AgentCallVisibility {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Own => "own",
        }
    }
}

impl FromStr for AgentCallVisibility {
    type Err = RoleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Self::All),
            "own" => Ok(Self::Own),
            other => Err(RoleError(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_role() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn permissions_follow_rank() {
        let admins: Vec<_> = Role::ALL.into_iter().filter(|r| r.can_administer()).collect();
        assert_eq!(admins, [Role::Owner, Role::Admin]);
        let writers: Vec<_> = Role::ALL.into_iter().filter(|r| r.can_write()).collect();
        assert_eq!(writers, [Role::Owner, Role::Admin, Role::Agent]);
    }
}
