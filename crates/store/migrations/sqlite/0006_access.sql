-- Share links as records (listed, revocable, tied to their creator) and invitations, the
-- only way into a workspace for someone who shares none with the inviter.

CREATE TABLE share_links (
    id           BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    recording_id BLOB NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    created_by   BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX share_links_by_recording ON share_links (recording_id, id);

CREATE TABLE invitations (
    id           BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The invitee, by address; an invitation by user id resolves to that user's address.
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
    invited_by   BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX invitations_by_workspace ON invitations (workspace_id, id);
CREATE INDEX invitations_by_email ON invitations (email, id);
