-- Per-version state: a version of a key can be disabled (refused for every use) while the key and its other
-- versions stay usable, as Azure Key Vault, Google Cloud KMS and KMIP let callers do.
ALTER TABLE key_versions ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
