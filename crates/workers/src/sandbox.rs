//! The sandbox transport: "sends" by returning the message as it would have gone out; the
//! dispatcher stores it on the touch. The default for every channel, so the daemon runs with
//! no credentials.

use chrono::{DateTime, Utc};

use crate::{OutboundMessage, Receipt, SendError, Transport};

#[derive(Debug, Clone, Default)]
pub struct Sandbox;

impl Transport for Sandbox {
    async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        permit.authorizes(msg.channel, &msg.to, now)?;
        crate::last_check(msg).await?;
        let recorded = serde_json::to_value(msg).ok();
        Ok(Receipt {
            provider_message_id: format!("sandbox-{}", permit.touch_id()),
            recorded,
        })
    }
}
