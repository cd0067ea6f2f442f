-- The sealer takes a workspace's unsealed rows in (time, key) order, LIMIT 501: indexed in
-- that order it reads those rows only, where it read and sorted every unsealed row of the
-- table. (SQLite's migration also widens touches_due for its claim; PostgreSQL's claim was
-- not found slow, and is left as it was.)
DROP INDEX decisions_unsealed;
CREATE INDEX decisions_unsealed ON decisions (workspace, at, seq) WHERE sealed IS NULL;
DROP INDEX dnc_unsealed;
CREATE INDEX dnc_unsealed ON dnc (workspace, created_at, id) WHERE sealed IS NULL;
DROP INDEX audit_log_unsealed;
CREATE INDEX audit_log_unsealed ON audit_log (workspace, at, seq) WHERE sealed IS NULL;
