-- What mailbox providers said about our email: hard and soft bounces, complaints, and
-- reports that named nothing we sent (recorded as received).
CREATE TABLE email_events (
    workspace   TEXT NOT NULL,
    id          TEXT NOT NULL PRIMARY KEY,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('hard_bounce', 'soft_bounce', 'complaint', 'unlinked')),
    address     TEXT,
    touch_id    TEXT,
    account_id  TEXT,
    detail      TEXT NOT NULL
);
CREATE INDEX email_events_touch ON email_events (touch_id);
CREATE INDEX email_events_account ON email_events (workspace, account_id, at);

-- Sender health: an account whose email bounce or complaint rate is too high has its email
-- paused (its own flag, apart from paused_channels) until an operator resumes it.
CREATE TABLE account_health (
    workspace     TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    channel       TEXT NOT NULL,
    paused_since  INTEGER,
    why           TEXT,
    resumed_at    INTEGER,
    PRIMARY KEY (workspace, account_id, channel)
);
