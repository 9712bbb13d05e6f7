-- The events each source has delivered, by the source's own name for them, so a repeated
-- delivery (a webhook retried after a lost answer) changes nothing the second time.

CREATE TABLE intake_receipts (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source       TEXT NOT NULL,
    receipt      TEXT NOT NULL,
    call_id      BLOB NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, source, receipt)
) STRICT, WITHOUT ROWID;
CREATE INDEX intake_receipts_by_call ON intake_receipts (call_id);
