-- The claim reads due touches in (next_attempt_at, id) order: with `id` in the index it reads
-- index entries only, where it fetched every due touch's row (its request and all) to sort by
-- id, so a claim's cost grew with the due backlog (15 ms at 60,000 due).
DROP INDEX touches_due;
CREATE INDEX touches_due ON touches (status, next_attempt_at, id);

-- The sealer takes a workspace's unsealed rows in (time, key) order, LIMIT 501: indexed in
-- that order it reads those rows only, where it read and sorted every unsealed row of the
-- table (7.5 ms a pass while decisions are written at 2,000/s).
DROP INDEX decisions_unsealed;
CREATE INDEX decisions_unsealed ON decisions (workspace, at, seq) WHERE sealed IS NULL;
DROP INDEX dnc_unsealed;
CREATE INDEX dnc_unsealed ON dnc (workspace, created_at, id) WHERE sealed IS NULL;
DROP INDEX audit_log_unsealed;
CREATE INDEX audit_log_unsealed ON audit_log (workspace, at, seq) WHERE sealed IS NULL;
