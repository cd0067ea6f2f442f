-- 1. One open, open-ended, contact-level entry per (workspace, contact, channel, reason) for the
--    reasons written by inbound opt-outs, provider feedback and customer requests: two daemons
--    taking the same STOP at once write one row (so one confirmation goes out). Writers insert
--    with `ON CONFLICT (workspace, contact, channel, reason) WHERE <this predicate> DO NOTHING`.
--    Duplicates written before this index are soft-removed first (the oldest entry is kept).
UPDATE dnc
SET removed_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
    removed_by = 'touchgate migration 20261125000004',
    removed_reason = 'duplicate of an older open entry for the same contact, channel and reason'
WHERE removed_at IS NULL AND expires_at IS NULL AND lead_id IS NULL
  AND reason IN ('opt_out_reply', 'provider_unsubscribed', 'customer_request')
  AND EXISTS (
      SELECT 1 FROM dnc AS older
      WHERE older.workspace = dnc.workspace AND older.contact = dnc.contact
        AND older.channel = dnc.channel AND older.reason = dnc.reason
        AND older.removed_at IS NULL AND older.expires_at IS NULL AND older.lead_id IS NULL
        AND (older.created_at < dnc.created_at
             OR (older.created_at = dnc.created_at AND older.id < dnc.id)));

CREATE UNIQUE INDEX dnc_open_contact_reason ON dnc (workspace, contact, channel, reason)
WHERE removed_at IS NULL AND expires_at IS NULL AND lead_id IS NULL
  AND reason IN ('opt_out_reply', 'provider_unsubscribed', 'customer_request');

-- 2. The address a touch was sent to, fixed when the gate allowed it (the lead's contacts may
--    change later; the one-click unsubscribe must name the address the email went to).
ALTER TABLE touches ADD COLUMN recipient TEXT;

-- 3. Provider webhooks carry no workspace: they find the workspaces whose leads have the sender
--    as a contact (`Store::workspaces_with_contact`), across workspaces.
CREATE INDEX leads_any_phone ON leads (phone);
CREATE INDEX leads_any_email ON leads (email);
CREATE INDEX leads_any_linkedin ON leads (linkedin);
CREATE INDEX leads_any_whatsapp ON leads (whatsapp);
