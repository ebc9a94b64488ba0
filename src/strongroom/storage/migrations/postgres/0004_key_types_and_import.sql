-- Key material of every key spec and imported key material (mirrors sqlite/0004).
ALTER TABLE key_versions ADD COLUMN valid_to DOUBLE PRECISION;
ALTER TABLE key_versions ADD COLUMN expiration_model TEXT;
ALTER TABLE key_versions ADD COLUMN description TEXT;
CREATE INDEX key_versions_by_expiry ON key_versions (valid_to) WHERE valid_to IS NOT NULL;
