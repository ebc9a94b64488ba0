-- What protocols beyond AWS need of the key store (see docs/architecture.md, "One key store"):
-- caller-chosen key names in a namespace of an account, minimum encryption and decryption versions, an
-- irreversible exportable flag, and a namespaced map of protocol-only attributes.
ALTER TABLE keys ADD COLUMN name_space TEXT;
ALTER TABLE keys ADD COLUMN name TEXT;
ALTER TABLE keys ADD COLUMN min_decryption_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE keys ADD COLUMN min_encryption_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN exportable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX keys_by_name ON keys (account_id, name_space, name) WHERE name IS NOT NULL;

-- Bearer tokens Strongroom issues, kept only as SHA-256 digests, each owned by a principal.
CREATE TABLE bearer_tokens (
    accessor          TEXT PRIMARY KEY,
    digest            BYTEA NOT NULL UNIQUE,
    account_id        TEXT NOT NULL REFERENCES accounts (account_id),
    user_name         TEXT NOT NULL,
    policies          TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    meta              TEXT NOT NULL,
    created_at        DOUBLE PRECISION NOT NULL,
    ttl               DOUBLE PRECISION NOT NULL,
    expires_at        DOUBLE PRECISION,
    explicit_max_ttl  DOUBLE PRECISION NOT NULL,
    renewable         INTEGER NOT NULL,
    parent            TEXT
);
CREATE INDEX bearer_tokens_by_account ON bearer_tokens (account_id);

-- Named path policies (the ACL documents bearer tokens carry), per account.
CREATE TABLE path_policies (
    account_id  TEXT NOT NULL REFERENCES accounts (account_id),
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
);

-- Engines mounted at a path of an account's namespace (Vault's sys/mounts), keys of an engine are named in
-- the mount's uuid.
CREATE TABLE engine_mounts (
    account_id   TEXT NOT NULL REFERENCES accounts (account_id),
    path         TEXT NOT NULL,
    engine_type  TEXT NOT NULL,
    uuid         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL,
    config       TEXT NOT NULL,
    created_at   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, path)
);
