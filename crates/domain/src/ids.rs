//! Typed UUIDv7 identifiers, so a user id can never be passed where a workspace id belongs.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid UUID: {0:?}")]
pub struct IdError(pub String);

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7).
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError(s.to_owned()))
            }
        }
    };
}

typed_id!(
    /// A tenant: every resource but users belongs to exactly one workspace.
    WorkspaceId
);
typed_id!(
    /// A person who can log in.
    UserId
);
typed_id!(
    /// A long-lived API token or a login session.
    TokenId
);
typed_id!(
    /// One entry of the audit log.
    AuditId
);
typed_id!(
    /// One call (one leg: a transfer creates a new call linked to its parent).
    CallId
);
typed_id!(
    /// One entry of a call's timeline.
    CallEventId
);
typed_id!(
    /// One do-not-call entry.
    BlockId
);
typed_id!(
    /// One recording of a call.
    RecordingId
);
typed_id!(
    /// One share link of a recording.
    ShareLinkId
);
typed_id!(
    /// One invitation into a workspace.
    InvitationId
);
typed_id!(
    /// One connection of a workspace to a telephony provider.
    IntegrationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_version_7_and_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn parses_and_rejects() {
        let id = WorkspaceId::new();
        assert_eq!(id.to_string().parse::<WorkspaceId>(), Ok(id));
        assert!("not-a-uuid".parse::<WorkspaceId>().is_err());
        assert!("".parse::<WorkspaceId>().is_err());
    }
}
