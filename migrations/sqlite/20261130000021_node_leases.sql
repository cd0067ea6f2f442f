-- Every daemon on the database holds a lease, renewed every few seconds on its clock. A touch
-- `sending` on a node whose lease has expired becomes `needs_review` on any surviving node.
CREATE TABLE nodes (
    id           TEXT NOT NULL PRIMARY KEY,
    started_at   INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL
);
CREATE INDEX touches_claimed_sending ON touches (claimed_by) WHERE status = 'sending';
