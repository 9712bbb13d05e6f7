-- Users, workspaces, memberships, tokens and the audit log.
-- Ids are UUIDv7 (16-byte BLOBs); instants are microseconds since the Unix epoch (UTC).

CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_superuser  INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE workspaces (
    id         BLOB PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    time_zone  TEXT NOT NULL DEFAULT 'UTC',
    region     TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id, workspace_id);

-- API tokens and login sessions: only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
    id           BLOB PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('api', 'session')),
    secret_hash  BLOB NOT NULL UNIQUE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id BLOB REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
) STRICT;
CREATE INDEX tokens_by_workspace ON tokens (workspace_id, id);
CREATE INDEX tokens_by_user ON tokens (user_id, id);

CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_user   BLOB,
    actor_token  BLOB,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT,
    details      TEXT NOT NULL DEFAULT '{}',
    client_addr  TEXT,
    request_id   TEXT,
    at           INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_by_workspace ON audit_log (workspace_id, id);
