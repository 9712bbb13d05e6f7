-- Recordings, their transcripts (searchable), and the length a recording gives a call that
-- has no talk time of its own.

-- Seconds of the call's longest recording; duration = talk_seconds, else this, else 0.
ALTER TABLE calls ADD COLUMN recorded_seconds INTEGER;

CREATE TABLE recordings (
    id            BLOB PRIMARY KEY NOT NULL,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    call_id       BLOB NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    uploaded_by   BLOB REFERENCES users (id) ON DELETE SET NULL,
    status        TEXT NOT NULL CHECK (status IN ('recording', 'processing', 'completed',
                      'failed')),
    -- Set together once the bytes are stored (all NULL or none).
    storage_key   TEXT UNIQUE,
    format        TEXT,
    codec         TEXT,
    duration_ms   INTEGER,
    sample_count  INTEGER,
    sample_rate   INTEGER,
    channels      INTEGER,
    bitrate       INTEGER,
    size_bytes    INTEGER,
    sha256        TEXT,
    external_url  TEXT,
    failure       TEXT,
    notes         TEXT,
    started_at    INTEGER,
    ended_at      INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX recordings_by_created ON recordings (workspace_id, created_at, id);
CREATE INDEX recordings_by_call ON recordings (call_id, created_at);

CREATE TABLE transcripts (
    recording_id BLOB PRIMARY KEY NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL,
    language     TEXT,
    source       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE transcript_segments (
    id           INTEGER PRIMARY KEY,
    recording_id BLOB NOT NULL REFERENCES transcripts (recording_id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL,
    call_id      BLOB NOT NULL,
    seq          INTEGER NOT NULL,
    speaker      TEXT,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    text         TEXT NOT NULL,
    confidence   REAL,
    UNIQUE (recording_id, seq)
) STRICT;
CREATE INDEX transcript_segments_by_call ON transcript_segments (workspace_id, call_id);

CREATE VIRTUAL TABLE transcript_fts USING fts5 (
    text, content = 'transcript_segments', content_rowid = 'id'
);
CREATE TRIGGER transcript_fts_insert AFTER INSERT ON transcript_segments BEGIN
    INSERT INTO transcript_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER transcript_fts_delete AFTER DELETE ON transcript_segments BEGIN
    INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Keys the server generates once and every instance shares (link signing).
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY NOT NULL,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

ALTER TABLE workspaces ADD COLUMN recording_retention_days INTEGER;
