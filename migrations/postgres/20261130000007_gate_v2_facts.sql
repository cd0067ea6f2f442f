-- Facts the gate v2 decides from.

-- 1. Where each send went (E.164 for telephone channels): a number's legal per-recipient caps
--    count every send to it, whichever lead or account it went through.
ALTER TABLE sends ADD COLUMN recipient TEXT;
UPDATE sends SET recipient = (SELECT recipient FROM touches WHERE touches.id = sends.touch_id);
CREATE INDEX sends_recipient ON sends (workspace, recipient, at);

-- 2. Revocation instants per contact (a wrong-number reply): every consent for the contact
--    granted before `at` is void, also when a lead is stored again with old consents.
CREATE TABLE consent_voids (
    workspace   TEXT NOT NULL,
    contact     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (workspace, contact, at, reason)
);

-- 3. Region-wide suspensions (declared emergencies, company holidays) of a workspace.
CREATE TABLE blackouts (
    workspace   TEXT NOT NULL,
    id          TEXT NOT NULL PRIMARY KEY,
    region      TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    channels    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    source      TEXT,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    removed_at  BIGINT,
    removed_by  TEXT
);
CREATE INDEX blackouts_active ON blackouts (workspace, ends_at);

-- 4. Wrong-number replies, hard bounces and complaints write contact-level rows too: one open
--    row per (workspace, contact, channel, reason) for them as well (no such rows exist yet).
DROP INDEX dnc_open_contact_reason;
CREATE UNIQUE INDEX dnc_open_contact_reason ON dnc (workspace, contact, channel, reason)
WHERE removed_at IS NULL AND expires_at IS NULL AND lead_id IS NULL
  AND reason IN ('opt_out_reply', 'provider_unsubscribed', 'customer_request', 'wrong_number', 'hard_bounce', 'complaint');
