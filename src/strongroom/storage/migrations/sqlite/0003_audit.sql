-- The audit trail: one row per request, each chained to the one before by a SHA-256 hash.
CREATE TABLE audit_events (
    seq            INTEGER PRIMARY KEY,
    event_time     REAL NOT NULL,
    event_id       TEXT NOT NULL,
    event_name     TEXT NOT NULL,
    principal_arn  TEXT,
    key_arn        TEXT,
    error_code     TEXT,
    record         TEXT NOT NULL,
    prev_hash      BLOB NOT NULL,
    hash           BLOB NOT NULL
);
CREATE INDEX audit_by_time ON audit_events (event_time);
CREATE INDEX audit_by_key ON audit_events (key_arn, seq);
CREATE INDEX audit_by_principal ON audit_events (principal_arn, seq);
