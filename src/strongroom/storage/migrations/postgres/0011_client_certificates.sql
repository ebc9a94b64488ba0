-- Client certificates as credentials (KMIP over mutual TLS): each binding names a principal, and matches a
-- certificate by its SHA-256 fingerprint or by its issuer and subject (both RFC 4514 strings).
CREATE TABLE client_certificates (
    binding_id   TEXT PRIMARY KEY,
    fingerprint  TEXT UNIQUE,
    issuer       TEXT,
    subject      TEXT,
    account_id   TEXT NOT NULL REFERENCES accounts (account_id),
    user_name    TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   REAL NOT NULL
);
CREATE UNIQUE INDEX client_certificates_by_name ON client_certificates (issuer, subject) WHERE fingerprint IS NULL;
