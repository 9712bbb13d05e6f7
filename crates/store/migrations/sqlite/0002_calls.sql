-- Calls, their timelines, the do-not-call list and the statistics rollups.

CREATE TABLE calls (
    id              BLOB PRIMARY KEY NOT NULL,
    workspace_id    BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source          TEXT NOT NULL,
    external_id     TEXT,
    -- SHA-256 of the request that created the call: a retry with the same payload is
    -- answered 200, a different payload under the same external id 409.
    fingerprint     TEXT,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
    status          TEXT NOT NULL CHECK (status IN ('initiated', 'ringing', 'in_progress',
                        'on_hold', 'completed', 'busy', 'no_answer', 'missed', 'failed',
                        'canceled')),
    from_number     TEXT,
    from_name       TEXT,
    to_number       TEXT,
    to_name         TEXT,
    remote_number   TEXT,
    -- Digits reversed: "ends with 4567" becomes a range scan on an index.
    from_rev        TEXT,
    to_rev          TEXT,
    user_id         BLOB REFERENCES users (id) ON DELETE SET NULL,
    agent_id        BLOB,
    lead_id         BLOB,
    phone_number_id BLOB,
    parent_call_id  BLOB,
    started_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    ended_at        INTEGER,
    ring_seconds    INTEGER,
    talk_seconds    INTEGER,
    -- talk_seconds or 0: what duration filters and sorting use.
    duration        INTEGER NOT NULL DEFAULT 0,
    end_reason      TEXT,
    sip_call_id     TEXT,
    disposition     TEXT,
    notes           TEXT,
    tags            TEXT NOT NULL DEFAULT '[]',
    blocked         INTEGER NOT NULL DEFAULT 0,
    has_recording   INTEGER NOT NULL DEFAULT 0,
    quality         TEXT,
    cost            TEXT,
    raw             TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX calls_by_external_id ON calls (workspace_id, source, external_id)
    WHERE external_id IS NOT NULL;
-- The secondary indexes on calls are created after migrating by the store (sql/indexes.rs),
-- which can drop and rebuild them around bulk loads.

CREATE TABLE call_tags (
    workspace_id BLOB NOT NULL,
    tag          TEXT NOT NULL,
    call_id      BLOB NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, tag, call_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX call_tags_by_call ON call_tags (call_id);

-- Names and notes, searched with q=; kept in step with calls by the triggers below.
CREATE VIRTUAL TABLE calls_fts USING fts5 (
    from_name, to_name, notes, content = 'calls', content_rowid = 'rowid'
);
CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls
WHEN new.from_name IS NOT NULL OR new.to_name IS NOT NULL OR new.notes IS NOT NULL
BEGIN
    INSERT INTO calls_fts (rowid, from_name, to_name, notes)
    VALUES (new.rowid, new.from_name, new.to_name, new.notes);
END;
CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls
WHEN old.from_name IS NOT NULL OR old.to_name IS NOT NULL OR old.notes IS NOT NULL
BEGIN
    INSERT INTO calls_fts (calls_fts, rowid, from_name, to_name, notes)
    VALUES ('delete', old.rowid, old.from_name, old.to_name, old.notes);
END;
CREATE TRIGGER calls_fts_update_old AFTER UPDATE OF from_name, to_name, notes ON calls
WHEN old.from_name IS NOT NULL OR old.to_name IS NOT NULL OR old.notes IS NOT NULL
BEGIN
    INSERT INTO calls_fts (calls_fts, rowid, from_name, to_name, notes)
    VALUES ('delete', old.rowid, old.from_name, old.to_name, old.notes);
END;
CREATE TRIGGER calls_fts_update_new AFTER UPDATE OF from_name, to_name, notes ON calls
WHEN new.from_name IS NOT NULL OR new.to_name IS NOT NULL OR new.notes IS NOT NULL
BEGIN
    INSERT INTO calls_fts (rowid, from_name, to_name, notes)
    VALUES (new.rowid, new.from_name, new.to_name, new.notes);
END;

CREATE TABLE call_events (
    id      BLOB PRIMARY KEY NOT NULL,
    call_id BLOB NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    type    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    actor   TEXT,
    data    TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX call_events_by_call ON call_events (call_id, at, id);

CREATE TABLE blocklist (
    id           BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('number', 'prefix')),
    -- E.164 digits without +: the whole number, or its first digits for a prefix.
    pattern      TEXT NOT NULL,
    reason       TEXT,
    expires_at   INTEGER,
    created_by   BLOB,
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, kind, pattern)
) STRICT;
CREATE INDEX blocklist_by_pattern ON blocklist (workspace_id, pattern);

-- One row per workspace, local hour and dimensions; sums of rows are statistics.
-- user_id and agent_id hold the nil UUID for "none" so the key stays unique.
CREATE TABLE call_rollups (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    bucket       INTEGER NOT NULL,
    user_id      BLOB NOT NULL,
    agent_id     BLOB NOT NULL,
    source       TEXT NOT NULL,
    direction    TEXT NOT NULL,
    calls        INTEGER NOT NULL,
    inbound      INTEGER NOT NULL,
    outbound     INTEGER NOT NULL,
    internal     INTEGER NOT NULL,
    answered     INTEGER NOT NULL,
    missed       INTEGER NOT NULL,
    rang         INTEGER NOT NULL,
    ring_seconds INTEGER NOT NULL,
    talked       INTEGER NOT NULL,
    talk_seconds INTEGER NOT NULL,
    d0 INTEGER NOT NULL, d1 INTEGER NOT NULL, d2 INTEGER NOT NULL, d3 INTEGER NOT NULL,
    d4 INTEGER NOT NULL, d5 INTEGER NOT NULL, d6 INTEGER NOT NULL, d7 INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, bucket, user_id, agent_id, source, direction)
) STRICT, WITHOUT ROWID;
