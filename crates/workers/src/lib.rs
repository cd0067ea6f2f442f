//! Channel workers. Every send takes the gate's [`gate::Permit`] by value: there is no other
//! way to reach a provider, and a permit is good for one send.

use chrono::{DateTime, Utc};
use serde::Serialize;

pub mod sandbox;

/// What a worker is asked to deliver (already allowed by the gate).
#[derive(Debug, Clone, Serialize)]
pub struct OutboundMessage {
    pub touch_id: String,
    pub channel: gate::Channel,
    /// Canonical recipient (E.164 phone, email, LinkedIn id); must equal the permit's.
    pub to: String,
    /// Sender identity (account's sender for the channel, else the transport's `from`).
    pub from: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub template: Option<gate::TemplateRef>,
    pub linkedin_action: Option<gate::LinkedInAction>,
}

/// A provider's acceptance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub provider_message_id: String,
    /// What the sandbox recorded (the message as it would have gone out).
    pub recorded: Option<serde_json::Value>,
}

/// Every way a send can end other than success; the dispatcher maps each to a touch state.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The permit does not cover this send (wrong channel/recipient, or expired).
    #[error("permit refused")]
    Permit(#[from] gate::PermitError),
    /// The provider asked us to slow down; no attempt is used.
    #[error("provider throttled; retry at {retry_at:?}")]
    Throttled { retry_at: Option<DateTime<Utc>> },
    /// A transient failure (5xx, connection refused before the request left): retry with backoff.
    #[error("transient provider error: {detail}")]
    Transient { detail: String },
    /// The provider refused for good (4xx): the touch fails.
    #[error("provider refused: {detail}")]
    Rejected { code: Option<String>, detail: String },
    /// The recipient unsubscribed at the provider: write a DNC row, block the touch.
    #[error("recipient unsubscribed at the provider: {detail}")]
    Unsubscribed { detail: String },
    /// The request may have reached the provider (timeout, reset): never resend on our own.
    #[error("outcome unknown: {detail}")]
    Unknown { detail: String },
}

/// One channel's transport.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `msg` under `permit`; `now` is the dispatcher's clock, used for the permit check.
    fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> impl std::future::Future<Output = Result<Receipt, SendError>> + Send;
}
