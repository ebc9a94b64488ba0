-- Strongroom schema, version 1. Secrets are stored only wrapped (see crypto/wrapping.py).
CREATE TABLE kek (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    wrapped     BLOB NOT NULL
);

CREATE TABLE accounts (
    account_id  TEXT PRIMARY KEY,
    created_at  REAL NOT NULL
);

CREATE TABLE access_keys (
    access_key_id   TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(account_id),
    user_name       TEXT NOT NULL,
    wrapped_secret  BLOB NOT NULL,
    status          TEXT NOT NULL,
    created_at      REAL NOT NULL
);

CREATE TABLE keys (
    key_id               TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL,
    region               TEXT NOT NULL,
    created_at           REAL NOT NULL,
    description          TEXT NOT NULL,
    key_spec             TEXT NOT NULL,
    key_usage            TEXT NOT NULL,
    origin               TEXT NOT NULL,
    state                TEXT NOT NULL,
    deletion_date        REAL,
    pending_window_days  INTEGER,
    rotation_period_days INTEGER,
    next_rotation_at     REAL,
    policy               TEXT,
    current_version      INTEGER NOT NULL,
    on_demand_rotations  INTEGER NOT NULL,
    multi_region         INTEGER NOT NULL,
    tags                 TEXT NOT NULL
);
CREATE INDEX keys_by_owner ON keys (account_id, region, key_id);
CREATE INDEX keys_by_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE INDEX keys_by_rotation ON keys (next_rotation_at) WHERE next_rotation_at IS NOT NULL;

CREATE TABLE key_versions (
    key_id            TEXT NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    material_id       TEXT NOT NULL,
    created_at        REAL NOT NULL,
    rotation_type     TEXT,
    wrapped_material  BLOB NOT NULL,
    PRIMARY KEY (key_id, version)
);

CREATE TABLE aliases (
    account_id     TEXT NOT NULL,
    region         TEXT NOT NULL,
    name           TEXT NOT NULL,
    target_key_id  TEXT NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
    created_at     REAL NOT NULL,
    updated_at     REAL NOT NULL,
    PRIMARY KEY (account_id, region, name)
);
CREATE INDEX aliases_by_key ON aliases (target_key_id);
