-- Inbound messages are taken once: a provider's message id seen again in the workspace on
-- the channel is a replay (answered as the first time; nothing changes). The DNC row an
-- opt-out wrote is linked so a replay can answer with it.
ALTER TABLE inbound_messages ADD COLUMN message_id TEXT;
ALTER TABLE inbound_messages ADD COLUMN dnc_id TEXT;
CREATE UNIQUE INDEX inbound_messages_once ON inbound_messages (workspace, channel, message_id)
WHERE message_id IS NOT NULL;
CREATE INDEX inbound_messages_by_time ON inbound_messages (workspace, received_at);
