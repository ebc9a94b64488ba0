-- The audit trail, one row per written batch of events (see storage/audit_batches.py), and the keys each
-- batch names. Events stored before become batches of one, their text and hashes unchanged.
CREATE TABLE audit_batches (
    first_seq  INTEGER PRIMARY KEY,
    last_seq   INTEGER NOT NULL,
    min_time   REAL NOT NULL,
    max_time   REAL NOT NULL,
    prev_hash  BLOB NOT NULL,
    last_hash  BLOB NOT NULL,
    events     TEXT NOT NULL
);
CREATE INDEX audit_batches_by_time ON audit_batches (max_time);
CREATE TABLE audit_batch_keys (
    key_arn    TEXT NOT NULL,
    first_seq  INTEGER NOT NULL,
    PRIMARY KEY (key_arn, first_seq)
) WITHOUT ROWID;
INSERT INTO audit_batches (first_seq, last_seq, min_time, max_time, prev_hash, last_hash, events)
    SELECT seq, seq, event_time, event_time, prev_hash, hash,
           json_array(seq, event_time, event_id, event_name, principal_arn, key_arn, error_code, lower(hex(hash)))
           || char(9) || record
    FROM audit_events;
INSERT INTO audit_batch_keys (key_arn, first_seq) SELECT key_arn, seq FROM audit_events WHERE key_arn IS NOT NULL;
DROP TABLE audit_events;
