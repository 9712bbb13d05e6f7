-- Calls, their timelines, the do-not-call list and the statistics rollups.

CREATE TABLE calls (
    id              UUID PRIMARY KEY,
    workspace_id    UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
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
    user_id         UUID REFERENCES users (id) ON DELETE SET NULL,
    agent_id        UUID,
    lead_id         UUID,
    phone_number_id UUID,
    parent_call_id  UUID,
    started_at      BIGINT NOT NULL,
    answered_at     BIGINT,
    ended_at        BIGINT,
    ring_seconds    BIGINT,
    talk_seconds    BIGINT,
    -- talk_seconds or 0: what duration filters and sorting use.
    duration        BIGINT NOT NULL DEFAULT 0,
    end_reason      TEXT,
    sip_call_id     TEXT,
    disposition     TEXT,
    notes           TEXT,
    tags            JSONB NOT NULL DEFAULT '[]',
    blocked         BOOLEAN NOT NULL DEFAULT FALSE,
    has_recording   BOOLEAN NOT NULL DEFAULT FALSE,
    quality         JSONB,
    cost            JSONB,
    raw             JSONB NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE UNIQUE INDEX calls_by_external_id ON calls (workspace_id, source, external_id)
    WHERE external_id IS NOT NULL;
-- The secondary indexes on calls are created after migrating by the store (sql/indexes.rs),
-- which can drop and rebuild them around bulk loads.

CREATE TABLE call_tags (
    workspace_id UUID NOT NULL,
    tag          TEXT NOT NULL,
    call_id      UUID NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, tag, call_id)
);
CREATE INDEX call_tags_by_call ON call_tags (call_id);

-- Names and notes, searched with q=.
ALTER TABLE calls ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple',
    coalesce(from_name, '') || ' ' || coalesce(to_name, '') || ' ' || coalesce(notes, ''))) STORED;

CREATE TABLE call_events (
    id      UUID PRIMARY KEY,
    call_id UUID NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    type    TEXT NOT NULL,
    at      BIGINT NOT NULL,
    actor   TEXT,
    data    JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_by_call ON call_events (call_id, at, id);

CREATE TABLE blocklist (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('number', 'prefix')),
    -- E.164 digits without +: the whole number, or its first digits for a prefix.
    pattern      TEXT NOT NULL,
    reason       TEXT,
    expires_at   BIGINT,
    created_by   UUID,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, kind, pattern)
);
CREATE INDEX blocklist_by_pattern ON blocklist (workspace_id, pattern);

-- One row per workspace, local hour and dimensions; sums of rows are statistics.
-- user_id and agent_id hold the nil UUID for "none" so the key stays unique.
CREATE TABLE call_rollups (
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    bucket       BIGINT NOT NULL,
    user_id      UUID NOT NULL,
    agent_id     UUID NOT NULL,
    source       TEXT NOT NULL,
    direction    TEXT NOT NULL,
    calls        BIGINT NOT NULL,
    inbound      BIGINT NOT NULL,
    outbound     BIGINT NOT NULL,
    internal     BIGINT NOT NULL,
    answered     BIGINT NOT NULL,
    missed       BIGINT NOT NULL,
    rang         BIGINT NOT NULL,
    ring_seconds BIGINT NOT NULL,
    talked       BIGINT NOT NULL,
    talk_seconds BIGINT NOT NULL,
    d0 BIGINT NOT NULL, d1 BIGINT NOT NULL, d2 BIGINT NOT NULL, d3 BIGINT NOT NULL,
    d4 BIGINT NOT NULL, d5 BIGINT NOT NULL, d6 BIGINT NOT NULL, d7 BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, bucket, user_id, agent_id, source, direction)
);
