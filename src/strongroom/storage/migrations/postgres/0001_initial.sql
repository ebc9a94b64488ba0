-- Strongroom schema, version 1 (PostgreSQL). Mirrors sqlite/0001_initial.sql column for column, so a backup
-- moves between the two unchanged. Text that is sorted or paged uses the "C" collation: byte order, as SQLite.
-- Secrets are stored only wrapped (see crypto/wrapping.py).
CREATE TABLE kek (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    wrapped     BYTEA NOT NULL
);

CREATE TABLE accounts (
    account_id  TEXT COLLATE "C" PRIMARY KEY,
    created_at  DOUBLE PRECISION NOT NULL
);

CREATE TABLE access_keys (
    access_key_id   TEXT COLLATE "C" PRIMARY KEY,
    account_id      TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id),
    user_name       TEXT COLLATE "C" NOT NULL,
    wrapped_secret  BYTEA NOT NULL,
    status          TEXT NOT NULL,
    created_at      DOUBLE PRECISION NOT NULL
);

CREATE TABLE keys (
    key_id               TEXT COLLATE "C" PRIMARY KEY,
    account_id           TEXT COLLATE "C" NOT NULL,
    region               TEXT COLLATE "C" NOT NULL,
    created_at           DOUBLE PRECISION NOT NULL,
    description          TEXT NOT NULL,
    key_spec             TEXT NOT NULL,
    key_usage            TEXT NOT NULL,
    origin               TEXT NOT NULL,
    state                TEXT NOT NULL,
    deletion_date        DOUBLE PRECISION,
    pending_window_days  INTEGER,
    rotation_period_days INTEGER,
    next_rotation_at     DOUBLE PRECISION,
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
    key_id            TEXT COLLATE "C" NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    material_id       TEXT NOT NULL,
    created_at        DOUBLE PRECISION NOT NULL,
    rotation_type     TEXT,
    wrapped_material  BYTEA NOT NULL,
    PRIMARY KEY (key_id, version)
);

CREATE TABLE aliases (
    account_id     TEXT COLLATE "C" NOT NULL,
    region         TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    target_key_id  TEXT COLLATE "C" NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
    created_at     DOUBLE PRECISION NOT NULL,
    updated_at     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, region, name)
);
CREATE INDEX aliases_by_key ON aliases (target_key_id);
