-- Batch events are stored as bytes (mirrors sqlite/0008, see storage/audit_batches.py): new batches zlib-compressed,
-- those written before as their UTF-8 text. The column is not compressed again (STORAGE EXTERNAL).
ALTER TABLE audit_batches ALTER COLUMN events TYPE BYTEA USING convert_to(events, 'UTF8');
ALTER TABLE audit_batches ALTER COLUMN events SET STORAGE EXTERNAL
