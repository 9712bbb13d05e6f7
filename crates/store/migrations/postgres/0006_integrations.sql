-- Connections of a workspace to telephony providers. Secrets are sealed by the application
-- (AES-256-GCM, bound to the row's id) before they reach the database; secret_names says
-- which are set without unsealing them. The activity columns are sums a periodic flusher
-- adds to, not one write per webhook.

CREATE TABLE integrations (
    id                            UUID PRIMARY KEY,
    workspace_id                  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind                          TEXT NOT NULL
        CHECK (kind IN ('twilio', 'placetel', 'sip_webhook', 'recorder', 'teams')),
    name                          TEXT NOT NULL,
    config                        JSONB NOT NULL DEFAULT '{}',
    sealed_secrets                BYTEA NOT NULL,
    secret_names                  JSONB NOT NULL DEFAULT '[]',
    created_at                    BIGINT NOT NULL,
    updated_at                    BIGINT NOT NULL,
    events_received               BIGINT NOT NULL DEFAULT 0,
    last_event_at                 BIGINT,
    signature_failures            BIGINT NOT NULL DEFAULT 0,
    last_signature_failure_at     BIGINT,
    last_signature_failure_reason TEXT
);
-- Lists page by id (UUIDv7, so creation order) within a workspace.
CREATE INDEX integrations_by_workspace ON integrations (workspace_id, id);
