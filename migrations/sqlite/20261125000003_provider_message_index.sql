-- Provider status callbacks (Twilio, Meta) find their touch by the provider's message id.
CREATE INDEX touches_provider_message ON touches (provider_message_id);
