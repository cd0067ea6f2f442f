-- Every answer of GET /v1/check: who asked, when, and what the gate said (written in batches).
CREATE TABLE check_log (
    workspace  TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    contact    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    allowed    INTEGER NOT NULL,
    reason     TEXT,
    listings   TEXT NOT NULL
);
CREATE INDEX check_log_by_time ON check_log (workspace, at);

-- Litigation holds hit by a dispatch decision (one alert per touch; later decisions of the
-- same touch count into it) or by a check call (one per call), and their webhook delivery.
CREATE TABLE alerts (
    workspace        TEXT NOT NULL,
    id               TEXT NOT NULL PRIMARY KEY,
    kind             TEXT NOT NULL,
    at               INTEGER NOT NULL,
    contact          TEXT,
    touch_id         TEXT,
    detail           TEXT NOT NULL,
    decisions        INTEGER NOT NULL,
    delivered_at     INTEGER,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    last_error       TEXT
);
CREATE UNIQUE INDEX alerts_one_per_touch ON alerts (workspace, touch_id) WHERE touch_id IS NOT NULL;
CREATE INDEX alerts_by_time ON alerts (workspace, at);
CREATE INDEX alerts_to_deliver ON alerts (next_attempt_at);

-- Scrub runs: what was read and what came out.
CREATE TABLE scrubs (
    workspace    TEXT NOT NULL,
    id           TEXT NOT NULL PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    channel      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    rows_read    INTEGER NOT NULL,
    approved     INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    by_reason    TEXT NOT NULL
);
CREATE INDEX scrubs_by_time ON scrubs (workspace, at);
