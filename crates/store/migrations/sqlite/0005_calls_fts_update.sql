-- The two AFTER UPDATE triggers of 0002 ran newest first: the new row's terms went into the
-- search index, then the old row's were deleted, and FTS5 deletes a rowid's term whatever
-- was added before it. So every write of a call (any status change) dropped its names and
-- notes from q= searches. One trigger now deletes, then adds, and only when a searched
-- column changed; the index is rebuilt from calls once.
DROP TRIGGER calls_fts_update_old;
DROP TRIGGER calls_fts_update_new;
CREATE TRIGGER calls_fts_update AFTER UPDATE OF from_name, to_name, notes ON calls
WHEN old.from_name IS NOT new.from_name
    OR old.to_name IS NOT new.to_name
    OR old.notes IS NOT new.notes
BEGIN
    INSERT INTO calls_fts (calls_fts, rowid, from_name, to_name, notes)
    SELECT 'delete', old.rowid, old.from_name, old.to_name, old.notes
    WHERE old.from_name IS NOT NULL OR old.to_name IS NOT NULL OR old.notes IS NOT NULL;
    INSERT INTO calls_fts (rowid, from_name, to_name, notes)
    SELECT new.rowid, new.from_name, new.to_name, new.notes
    WHERE new.from_name IS NOT NULL OR new.to_name IS NOT NULL OR new.notes IS NOT NULL;
END;
INSERT INTO calls_fts (calls_fts) VALUES ('rebuild');
