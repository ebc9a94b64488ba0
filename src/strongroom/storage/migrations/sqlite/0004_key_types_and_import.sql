-- Key material of every key spec and imported key material (Origin EXTERNAL).
-- Keys created with Origin EXTERNAL have no key_versions row until material is imported (current_version 0).
-- Deleted or expired imported material leaves its row with an empty wrapped_material (AWS: PENDING_IMPORT).
ALTER TABLE key_versions ADD COLUMN valid_to REAL;
ALTER TABLE key_versions ADD COLUMN expiration_model TEXT;
ALTER TABLE key_versions ADD COLUMN description TEXT;
CREATE INDEX key_versions_by_expiry ON key_versions (valid_to) WHERE valid_to IS NOT NULL;
