-- The audit trail, one row per written batch of events (mirrors sqlite/0007, see storage/audit_batches.py),
-- and the keys each batch names. Events stored before become batches of one, their text and hashes unchanged.
CREATE TABLE audit_batches (
    first_seq  BIGINT PRIMARY KEY,
    last_seq   BIGINT NOT NULL,
    min_time   DOUBLE PRECISION NOT NULL,
    max_time   DOUBLE PRECISION NOT NULL,
    prev_hash  BYTEA NOT NULL,
    last_hash  BYTEA NOT NULL,
    events     TEXT NOT NULL
);
CREATE INDEX audit_batches_by_time ON audit_batches (max_time);
CREATE TABLE audit_batch_keys (
    key_arn    TEXT COLLATE "C" NOT NULL,
    first_seq  BIGINT NOT NULL,
    PRIMARY KEY (key_arn, first_seq)
);
INSERT INTO audit_batches (first_seq, last_seq, min_time, max_time, prev_hash, last_hash, events)
    SELECT seq, seq, event_time, event_time, prev_hash, hash,
           json_build_array(seq, event_time, event_id, event_name, principal_arn, key_arn, error_code,
                            encode(hash, 'hex'))::text || chr(9) || record
    FROM audit_events;
INSERT INTO audit_batch_keys (key_arn, first_seq) SELECT key_arn, seq FROM audit_events WHERE key_arn IS NOT NULL;
DROP TABLE audit_events;
