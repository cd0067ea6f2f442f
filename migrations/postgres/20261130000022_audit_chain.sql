-- The tamper-evident record (README "Guarantees"). Decisions (the whole touch timeline,
-- overrides included), DNC entries, audit-log rows (DNC removals, blackouts, erasures, settings)
-- and registry imports are sealed, in the order the sealer finds them, into one hash chain per
-- workspace (registry imports into the global chain '*'): link n's hash covers its row's
-- canonical content and link n-1's hash. A row's `sealed` is its link's n; NULL until sealed.
CREATE TABLE chain_heads (
    workspace  TEXT NOT NULL PRIMARY KEY,
    n          BIGINT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TABLE chain_links (
    workspace   TEXT NOT NULL,
    n           BIGINT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('decision', 'dnc', 'audit', 'registry_import')),
    source_key  TEXT NOT NULL,
    sealed_at   BIGINT NOT NULL,
    prev        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (workspace, n)
);
CREATE UNIQUE INDEX chain_links_source ON chain_links (source, source_key);

ALTER TABLE decisions ADD COLUMN sealed BIGINT;
ALTER TABLE dnc ADD COLUMN sealed BIGINT;
ALTER TABLE audit_log ADD COLUMN sealed BIGINT;
ALTER TABLE registry_imports ADD COLUMN sealed BIGINT;
CREATE INDEX decisions_unsealed ON decisions (seq) WHERE sealed IS NULL;
CREATE INDEX dnc_unsealed ON dnc (created_at) WHERE sealed IS NULL;
CREATE INDEX audit_log_unsealed ON audit_log (seq) WHERE sealed IS NULL;
CREATE INDEX registry_imports_unsealed ON registry_imports (finished_at) WHERE sealed IS NULL;

-- Erasure and retention.
CREATE INDEX inbound_messages_matched ON inbound_messages (workspace, matched);
CREATE INDEX check_log_contact ON check_log (workspace, contact);
-- Retention: a touch whose content was replaced by [erased] (by retention or an erasure).
ALTER TABLE touches ADD COLUMN content_erased BIGINT;
CREATE INDEX touches_content_kept ON touches (created_at) WHERE content_erased IS NULL;
