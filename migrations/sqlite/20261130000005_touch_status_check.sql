-- A touch's status is one the lifecycle knows (crates/dispatcher/src/touch): anything else is
-- refused by the database. SQLite cannot add a CHECK to an existing table, so the table is
-- rebuilt; a stored row with an unknown status makes this migration fail (it is never
-- silently mapped to another status).
CREATE TABLE touches_checked (
    workspace            TEXT NOT NULL,
    id                   TEXT NOT NULL PRIMARY KEY,
    idempotency_key      TEXT NOT NULL,
    account_id           TEXT NOT NULL,
    lead_id              TEXT NOT NULL,
    channel              TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    request              TEXT NOT NULL,
    status               TEXT NOT NULL CONSTRAINT touches_status_known CHECK (status IN
        ('queued', 'scheduled', 'sending', 'sent', 'blocked', 'failed', 'expired', 'cancelled', 'needs_review')),
    reason               TEXT,
    retry_after          INTEGER,
    decided_at           INTEGER,
    next_attempt_at      INTEGER NOT NULL,
    deadline             INTEGER NOT NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    campaign_id          TEXT,
    step                 INTEGER,
    sent_at              INTEGER,
    provider_message_id  TEXT,
    sandbox_message      TEXT,
    error                TEXT,
    claimed_by           TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    recipient            TEXT,
    UNIQUE (workspace, idempotency_key)
);
INSERT INTO touches_checked (workspace, id, idempotency_key, account_id, lead_id, channel, purpose,
    request, status, reason, retry_after, decided_at, next_attempt_at, deadline, attempts,
    campaign_id, step, sent_at, provider_message_id, sandbox_message, error, claimed_by,
    created_at, updated_at, recipient)
SELECT workspace, id, idempotency_key, account_id, lead_id, channel, purpose,
    request, status, reason, retry_after, decided_at, next_attempt_at, deadline, attempts,
    campaign_id, step, sent_at, provider_message_id, sandbox_message, error, claimed_by,
    created_at, updated_at, recipient
FROM touches;
DROP TABLE touches;
ALTER TABLE touches_checked RENAME TO touches;
CREATE INDEX touches_due ON touches (status, next_attempt_at);
CREATE INDEX touches_list ON touches (workspace, created_at, id);
CREATE INDEX touches_lead ON touches (workspace, lead_id);
CREATE INDEX touches_provider_message ON touches (provider_message_id);
