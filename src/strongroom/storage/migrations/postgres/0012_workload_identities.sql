-- Workload identities: applications that sign in the way a cloud's own SDK does (an Azure app with a client
-- secret, a Google service account with an RS256 key) and stand for a principal. token_key signs the bearer
-- tokens issued to the identity (wrapped under the KEK, as client_secret is), so deleting the identity revokes them.
CREATE TABLE workload_identities (
    identity_id   TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts (account_id),
    user_name     TEXT NOT NULL,
    client_secret BYTEA,
    public_key    TEXT,
    key_id        TEXT,
    token_key     BYTEA NOT NULL,
    description   TEXT NOT NULL,
    created_at    REAL NOT NULL
);
CREATE INDEX workload_identities_by_account ON workload_identities (account_id, kind);
