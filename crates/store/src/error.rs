//! What can go wrong in storage, in terms the server maps to HTTP without guessing.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is taken.
    #[error("{0} already exists")]
    Conflict(ConflictKind),
    /// A change would leave a workspace without any owner.
    #[error("a workspace must keep at least one owner")]
    LastOwner,
    /// The workspace was deleted while the change was under way.
    #[error("the workspace no longer exists")]
    WorkspaceGone,
    /// The call lifecycle forbids the command.
    #[error(transparent)]
    Rejected(#[from] callbase_domain::call::CallRejection),
    /// A row read back does not parse as a domain value: the database was edited by hand.
    #[error("stored {column} is invalid: {reason}")]
    Corrupt { column: &'static str, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the SQLite connection that appends timeline entries (`sqlite_appender`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Which unique key a write ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// A user with the e-mail address.
    Email,
    /// The membership.
    Member,
    /// The number or prefix on the do-not-call list.
    BlocklistEntry,
    /// A token with the same secret.
    Token,
    /// A workspace with the same id.
    Workspace,
    /// A call with the same source and external id.
    Call,
}

impl std::fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Email => "a user with this e-mail address",
            Self::Member => "the membership",
            Self::BlocklistEntry => "the do-not-call entry",
            Self::Token => "the token",
            Self::Workspace => "the workspace",
            Self::Call => "the call",
        })
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// The database could not take the request in time: worth retrying, not a fault.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        match self {
            Self::Database(err) => matches!(err, sqlx::Error::PoolTimedOut),
            Self::Sqlite(err) => err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy),
            _ => false,
        }
    }

    pub(crate) fn corrupt(column: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt { column, reason: reason.to_string() }
    }
}

/// Maps a unique violation to `Conflict(kind)`, passing every other error through.
pub(crate) fn conflict_on_unique(kind: ConflictKind) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match err.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict(kind),
        _ => StoreError::Database(err),
    }
}
