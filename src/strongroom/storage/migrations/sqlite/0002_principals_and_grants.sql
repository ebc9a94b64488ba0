-- Users with identity policies, temporary credentials, and grants.
ALTER TABLE access_keys ADD COLUMN session_token_digest BLOB;
ALTER TABLE access_keys ADD COLUMN expires_at REAL;

CREATE TABLE users (
    account_id  TEXT NOT NULL REFERENCES accounts(account_id),
    user_name   TEXT NOT NULL,
    created_at  REAL NOT NULL,
    PRIMARY KEY (account_id, user_name)
);

CREATE TABLE identity_policies (
    account_id   TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    policy_name  TEXT NOT NULL,
    document     TEXT NOT NULL,
    PRIMARY KEY (account_id, user_name, policy_name),
    FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, user_name) ON DELETE CASCADE
);

CREATE TABLE grants (
    grant_id            TEXT PRIMARY KEY,
    key_id              TEXT NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
    name                TEXT,
    grantee_principal   TEXT NOT NULL,
    retiring_principal  TEXT,
    issuing_account     TEXT NOT NULL,
    operations          TEXT NOT NULL,
    constraints         TEXT,
    created_at          REAL NOT NULL
);
CREATE INDEX grants_by_key ON grants (key_id, grant_id);
CREATE INDEX grants_by_retiring_principal ON grants (retiring_principal, grant_id);
