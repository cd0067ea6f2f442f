//! The transport chosen for each channel (sandbox by default).

use chrono::{DateTime, Utc};
use workers::sandbox::Sandbox;
use workers::{OutboundMessage, Receipt, SendError, Transport};

#[derive(Debug, Default)]
pub struct Transports {
    sandbox: Sandbox,
}

impl Transports {
    pub fn sandbox() -> Transports {
        Transports::default()
    }

    pub async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        self.sandbox.send(permit, msg, now).await
    }
}
