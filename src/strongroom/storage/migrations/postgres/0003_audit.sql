-- The audit trail (mirrors sqlite/0003): one row per request, each chained to the one before by a SHA-256 hash.
CREATE TABLE audit_events (
    seq            BIGINT PRIMARY KEY,
    event_time     DOUBLE PRECISION NOT NULL,
    event_id       TEXT NOT NULL,
    event_name     TEXT COLLATE "C" NOT NULL,
    principal_arn  TEXT COLLATE "C",
    key_arn        TEXT COLLATE "C",
    error_code     TEXT,
    record         TEXT NOT NULL,
    prev_hash      BYTEA NOT NULL,
    hash           BYTEA NOT NULL
);
CREATE INDEX audit_by_time ON audit_events (event_time);
CREATE INDEX audit_by_key ON audit_events (key_arn, seq);
CREATE INDEX audit_by_principal ON audit_events (principal_arn, seq);
