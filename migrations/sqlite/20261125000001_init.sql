-- Touchgate schema (SQLite). Instants are integer milliseconds since the Unix epoch (UTC);
-- JSON documents are TEXT. Every row belongs to one workspace.

CREATE TABLE accounts (
    workspace   TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (workspace, id)
);

CREATE TABLE leads (
    workspace   TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    phone       TEXT,
    email       TEXT,
    linkedin    TEXT,
    whatsapp    TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE INDEX leads_phone ON leads (workspace, phone);
CREATE INDEX leads_email ON leads (workspace, email);
CREATE INDEX leads_linkedin ON leads (workspace, linkedin);
CREATE INDEX leads_whatsapp ON leads (workspace, whatsapp);

-- Last inbound message per lead and channel (the WhatsApp 24 h window).
CREATE TABLE lead_inbound (
    workspace   TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (workspace, lead_id, channel)
);

CREATE TABLE touches (
    workspace            TEXT NOT NULL,
    id                   TEXT NOT NULL PRIMARY KEY,
    idempotency_key      TEXT NOT NULL,
    account_id           TEXT NOT NULL,
    lead_id              TEXT NOT NULL,
    channel              TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    request              TEXT NOT NULL,
    status               TEXT NOT NULL,
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
    UNIQUE (workspace, idempotency_key)
);
CREATE INDEX touches_due ON touches (status, next_attempt_at);
CREATE INDEX touches_list ON touches (workspace, created_at, id);
CREATE INDEX touches_lead ON touches (workspace, lead_id);

-- Every gate decision and every other state change worth explaining, oldest first.
CREATE TABLE decisions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace    TEXT NOT NULL,
    touch_id     TEXT NOT NULL,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    allowed      INTEGER NOT NULL,
    reason       TEXT,
    retry_after  INTEGER,
    checks       TEXT NOT NULL,
    detail       TEXT
);
CREATE INDEX decisions_touch ON decisions (touch_id, seq);

CREATE TABLE dnc (
    workspace       TEXT NOT NULL,
    id              TEXT NOT NULL PRIMARY KEY,
    contact         TEXT,
    lead_id         TEXT,
    channel         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    source          TEXT,
    added_by        TEXT,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    removed_at      INTEGER,
    removed_by      TEXT,
    removed_reason  TEXT
);
CREATE INDEX dnc_contact ON dnc (workspace, contact);
CREATE INDEX dnc_lead ON dnc (workspace, lead_id);

-- Sends and cap reservations: one row per touch that was allowed.
CREATE TABLE sends (
    workspace   TEXT NOT NULL,
    touch_id    TEXT NOT NULL PRIMARY KEY,
    account_id  TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    action      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX sends_account ON sends (workspace, account_id, channel, at);
CREATE INDEX sends_lead ON sends (workspace, lead_id, at);

-- One row per (account, channel): taken first in every dispatch transaction so that two
-- dispatchers serialise on the caps of one sender.
CREATE TABLE cap_locks (
    workspace   TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (workspace, account_id, channel)
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace  TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL
);

CREATE TABLE inbound_messages (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace    TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    channel      TEXT NOT NULL,
    sender       TEXT NOT NULL,
    body         TEXT NOT NULL,
    intent       TEXT NOT NULL,
    matched      TEXT
);
