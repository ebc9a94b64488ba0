-- Users with identity policies, temporary credentials, and grants (mirrors sqlite/0002).
ALTER TABLE access_keys ADD COLUMN session_token_digest BYTEA;
ALTER TABLE access_keys ADD COLUMN expires_at DOUBLE PRECISION;

CREATE TABLE users (
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts(account_id),
    user_name   TEXT COLLATE "C" NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, user_name)
);

CREATE TABLE identity_policies (
    account_id   TEXT COLLATE "C" NOT NULL,
    user_name    TEXT COLLATE "C" NOT NULL,
    policy_name  TEXT COLLATE "C" NOT NULL,
    document     TEXT NOT NULL,
    PRIMARY KEY (account_id, user_name, policy_name),
    FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, user_name) ON DELETE CASCADE
);

CREATE TABLE grants (
    grant_id            TEXT COLLATE "C" PRIMARY KEY,
    key_id              TEXT COLLATE "C" NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
    name                TEXT COLLATE "C",
    grantee_principal   TEXT COLLATE "C" NOT NULL,
    retiring_principal  TEXT COLLATE "C",
    issuing_account     TEXT COLLATE "C" NOT NULL,
    operations          TEXT NOT NULL,
    constraints         TEXT,
    created_at          DOUBLE PRECISION NOT NULL
);
CREATE INDEX grants_by_key ON grants (key_id, grant_id);
CREATE INDEX grants_by_retiring_principal ON grants (retiring_principal, grant_id);
