-- A touch row is written at enqueue, at its decision and at its provider's answer, and every
-- write of it adds an entry to each index whose predicate it meets (PostgreSQL: to every
-- index, unless the write is HOT). Indexes that serve lookups of a value most rows lack hold
-- only the rows that have it; the queries (`col = $n`, `status = 'blocked'`,
-- `status IN ('queued', 'scheduled')`) imply each predicate, so they still use them.

-- The claim and `next_due_at`: the waiting touches only, in claim order, so a claim reads its
-- LIMIT entries in order (no sort of every due touch) and a decided touch leaves the index.
-- The list is `TouchStatus::WAITING` in its order (SQLite matches the claim's term to it).
DROP INDEX touches_due;
CREATE INDEX touches_due ON touches (next_attempt_at, id) WHERE status IN ('queued', 'scheduled');

-- The dashboard counts blocked touches per day, reason and channel (index-only).
DROP INDEX touches_status_decided;
CREATE INDEX touches_blocked_decided ON touches (workspace, decided_at, reason, channel) WHERE status = 'blocked';

-- List filters and the webhook lookup: a touch sent without a campaign has neither a reason
-- nor (until its provider answers) a message id.
DROP INDEX touches_reason_id;
CREATE INDEX touches_reason_id ON touches (workspace, reason, id) WHERE reason IS NOT NULL;
DROP INDEX touches_campaign_id;
CREATE INDEX touches_campaign_id ON touches (workspace, campaign_id, id) WHERE campaign_id IS NOT NULL;
DROP INDEX touches_provider_message;
CREATE INDEX touches_provider_message ON touches (provider_message_id) WHERE provider_message_id IS NOT NULL;
