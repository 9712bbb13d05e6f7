-- Timeline entries appended to calls (POST /calls/{id}/events, the bulk of provider
-- traffic) land here first. The table has no index besides its rowid, so a batch of
-- entries for many calls dirties one or two pages at its end instead of one page of
-- call_events_by_call per call; that page count is what every commit writes to the WAL.
-- The committer moves the rows into call_events in bulk (a fold: sorted by call, many
-- entries per index page), and reads of a timeline take both tables.
-- No foreign key: the fold drops entries whose call was deleted meanwhile.
CREATE TABLE call_events_inbox (
    seq     INTEGER PRIMARY KEY,
    id      BLOB NOT NULL,
    call_id BLOB NOT NULL,
    type    TEXT NOT NULL,
    at      INTEGER NOT NULL,
    actor   TEXT,
    data    TEXT NOT NULL DEFAULT '{}'
) STRICT;
