-- Batch events are stored as bytes (mirrors postgres/0008, see storage/audit_batches.py): new batches
-- zlib-compressed, those written before as their UTF-8 text. The column keeps its declared type: SQLite
-- columns take any value, and changing the declaration would rebuild the table.
UPDATE audit_batches SET events = CAST(events AS BLOB) WHERE typeof(events) = 'text'
