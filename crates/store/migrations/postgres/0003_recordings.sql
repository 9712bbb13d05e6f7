-- Recordings, their transcripts (searchable), and the length a recording gives a call that
-- has no talk time of its own.

-- Seconds of the call's longest recording; duration = talk_seconds, else this, else 0.
ALTER TABLE calls ADD COLUMN recorded_seconds BIGINT;

CREATE TABLE recordings (
    id            UUID PRIMARY KEY,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    call_id       UUID NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    uploaded_by   UUID REFERENCES users (id) ON DELETE SET NULL,
    status        TEXT NOT NULL CHECK (status IN ('recording', 'processing', 'completed',
                      'failed')),
    -- Set together once the bytes are stored (all NULL or none).
    storage_key   TEXT UNIQUE,
    format        TEXT,
    codec         TEXT,
    duration_ms   BIGINT,
    sample_count  BIGINT,
    sample_rate   INTEGER,
    channels      INTEGER,
    bitrate       BIGINT,
    size_bytes    BIGINT,
    sha256        TEXT,
    external_url  TEXT,
    failure       TEXT,
    notes         TEXT,
    started_at    BIGINT,
    ended_at      BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX recordings_by_created ON recordings (workspace_id, created_at, id);
CREATE INDEX recordings_by_call ON recordings (call_id, created_at);

CREATE TABLE transcripts (
    recording_id UUID PRIMARY KEY REFERENCES recordings (id) ON DELETE CASCADE,
    workspace_id UUID NOT NULL,
    language     TEXT,
    source       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE transcript_segments (
    id           BIGSERIAL PRIMARY KEY,
    recording_id UUID NOT NULL REFERENCES transcripts (recording_id) ON DELETE CASCADE,
    workspace_id UUID NOT NULL,
    call_id      UUID NOT NULL,
    seq          INTEGER NOT NULL,
    speaker      TEXT,
    start_ms     BIGINT NOT NULL,
    end_ms       BIGINT NOT NULL,
    text         TEXT NOT NULL,
    confidence   DOUBLE PRECISION,
    search       tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    UNIQUE (recording_id, seq)
);
CREATE INDEX transcript_segments_by_call ON transcript_segments (workspace_id, call_id);
CREATE INDEX transcript_segments_search ON transcript_segments USING GIN (search);

-- Keys the server generates once and every instance shares (link signing).
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    value      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE workspaces ADD COLUMN recording_retention_days INTEGER;
