-- Share links as records (listed, revocable, tied to their creator) and invitations, the
-- only way into a workspace for someone who shares none with the inviter.

CREATE TABLE share_links (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    recording_id UUID NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    created_by   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX share_links_by_recording ON share_links (recording_id, id);

CREATE TABLE invitations (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The invitee, by address; an invitation by user id resolves to that user's address.
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
    invited_by   UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX invitations_by_workspace ON invitations (workspace_id, id);
CREATE INDEX invitations_by_email ON invitations (email, id);
