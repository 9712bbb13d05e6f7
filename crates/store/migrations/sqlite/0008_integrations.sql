-- Connections of a workspace to telephony providers. Secrets are sealed by the application
-- (AES-256-GCM, bound to the row's id) before they reach the database; secret_names says
-- which are set without unsealing them. The activity columns are sums a periodic flusher
-- adds to, not one write per webhook.

CREATE TABLE integrations (
    id                            BLOB PRIMARY KEY NOT NULL,
    workspace_id                  BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind                          TEXT NOT NULL
        CHECK (kind IN ('twilio', 'placetel', 'sip_webhook', 'recorder', 'teams')),
    name                          TEXT NOT NULL,
    config                        TEXT NOT NULL DEFAULT '{}',
    sealed_secrets                BLOB NOT NULL,
    secret_names                  TEXT NOT NULL DEFAULT '[]',
    created_at                    INTEGER NOT NULL,
    updated_at                    INTEGER NOT NULL,
    events_received               INTEGER NOT NULL DEFAULT 0,
    last_event_at                 INTEGER,
    signature_failures            INTEGER NOT NULL DEFAULT 0,
    last_signature_failure_at     INTEGER,
    last_signature_failure_reason TEXT
) STRICT;
-- Lists page by id (UUIDv7, so creation order) within a workspace.
CREATE INDEX integrations_by_workspace ON integrations (workspace_id, id);
