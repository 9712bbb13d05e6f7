-- Users, workspaces, memberships, tokens and the audit log.
-- Ids are UUIDv7; instants are microseconds since the Unix epoch (UTC), the same
-- representation as on SQLite so that one query text serves both databases.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_superuser  BOOLEAN NOT NULL DEFAULT FALSE,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE workspaces (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    time_zone  TEXT NOT NULL DEFAULT 'UTC',
    region     TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id, workspace_id);

-- API tokens and login sessions: only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
    id           UUID PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('api', 'session')),
    secret_hash  BYTEA NOT NULL UNIQUE,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX tokens_by_workspace ON tokens (workspace_id, id);
CREATE INDEX tokens_by_user ON tokens (user_id, id);

CREATE TABLE audit_log (
    id           UUID PRIMARY KEY,
    workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_user   UUID,
    actor_token  UUID,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT,
    details      JSONB NOT NULL DEFAULT '{}',
    client_addr  TEXT,
    request_id   TEXT,
    at           BIGINT NOT NULL
);
CREATE INDEX audit_by_workspace ON audit_log (workspace_id, id);
