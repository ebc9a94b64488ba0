-- A counter every write of cached state bumps, so other processes drop their caches only when cached state
-- changed (SQLite's data_version also moves on audit writes, which would empty every cache constantly).
CREATE TABLE change_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
