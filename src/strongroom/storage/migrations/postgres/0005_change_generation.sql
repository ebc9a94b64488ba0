-- The change counter SQLite nodes read to know when to drop their caches. PostgreSQL nodes learn of changes
-- through LISTEN/NOTIFY (storage/pg_changes.py) and never read it; it exists so both schemas match (backups
-- move between them).
CREATE TABLE change_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   BIGINT NOT NULL
);
