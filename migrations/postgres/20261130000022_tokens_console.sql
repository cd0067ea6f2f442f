-- Bearer tokens made by `touchgate token create` (and the operator token a daemon makes on the
-- installation's first start). Only the SHA-256 of the secret is stored: the secret is 192
-- random bits, so a fast hash is as good as a slow one, and a leaked table gives no token.
CREATE TABLE tokens (
    id          TEXT NOT NULL PRIMARY KEY,
    workspace   TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('service', 'operator', 'admin')),
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- Operator console sessions (server side; the cookie holds a random id whose SHA-256 is the
-- key). A session names the token that opened it: revoking the token ends the session.
CREATE TABLE console_sessions (
    id_hash     TEXT NOT NULL PRIMARY KEY,
    workspace   TEXT NOT NULL,
    token_id    TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- The console's figures, each read by index: touches per status and blocked touches per day,
-- reason and channel (the dashboard; an index-only read), the audit rows of one subject, the
-- newest DNC rows.
CREATE INDEX touches_status_decided ON touches (workspace, status, decided_at, reason, channel);
-- The touches list (newest first by id, `GET /v1/touches` and the console) filtered by a
-- column whose value may be rare: read in id order from the start, never a full scan.
CREATE INDEX touches_status_id ON touches (workspace, status, id);
CREATE INDEX touches_reason_id ON touches (workspace, reason, id);
CREATE INDEX touches_account_id ON touches (workspace, account_id, id);
CREATE INDEX touches_campaign_id ON touches (workspace, campaign_id, id);
CREATE INDEX audit_log_subject ON audit_log (workspace, subject, seq);
CREATE INDEX dnc_by_time ON dnc (workspace, created_at);
