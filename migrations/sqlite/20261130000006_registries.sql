-- Registries (national and state Do-Not-Call lists, litigators, reassigned numbers) are
-- installation-wide: no workspace column. A version of a registry is a base segment plus the
-- delta segments after it (crates/registry), stored in chunks (a blob stops at 1 GB); the
-- `registries` row says which segments are in force, and only a committed row counts, so a
-- failed or interrupted import (segments written, row not moved) is never seen.
CREATE TABLE registries (
    name         TEXT NOT NULL PRIMARY KEY,
    version      INTEGER NOT NULL,
    base_seq     INTEGER NOT NULL,
    head_seq     INTEGER NOT NULL,
    entries      INTEGER NOT NULL,
    as_of        TEXT,
    imported_at  INTEGER NOT NULL
);

CREATE TABLE registry_segments (
    registry    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('base', 'delta')),
    size        INTEGER NOT NULL,
    chunks      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (registry, seq)
);

CREATE TABLE registry_chunks (
    registry  TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    chunk     INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (registry, seq, chunk)
);

-- Every import, applied or not: what it read and what it did.
CREATE TABLE registry_imports (
    id              TEXT NOT NULL PRIMARY KEY,
    registry        TEXT NOT NULL,
    mode            TEXT NOT NULL,
    as_of           TEXT,
    lines           INTEGER NOT NULL,
    added           INTEGER NOT NULL,
    removed         INTEGER NOT NULL,
    rejected_count  INTEGER NOT NULL,
    rejected        TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    error           TEXT,
    actor           TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER NOT NULL
);
CREATE INDEX registry_imports_by_time ON registry_imports (finished_at);

-- Imports are serialised across every node by this lease.
CREATE TABLE registry_lock (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    holder  TEXT,
    until   INTEGER NOT NULL
);
INSERT INTO registry_lock (id, holder, until) VALUES (1, NULL, 0);
