-- A touch's status is one the lifecycle knows (crates/dispatcher/src/touch): anything else is
-- refused by the database. A stored row with an unknown status makes this migration fail (it
-- is never silently mapped to another status).
ALTER TABLE touches ADD CONSTRAINT touches_status_known CHECK (status IN
    ('queued', 'scheduled', 'sending', 'sent', 'blocked', 'failed', 'expired', 'cancelled', 'needs_review'));
