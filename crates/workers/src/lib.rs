//! Channel workers. Every send takes the gate's [`gate::Permit`] by value: there is no other
//! way to reach a provider, and a permit is good for one send.
//!
//! - [`registry::Transports`] picks one transport per channel from the `[channels.*]` TOML
//!   tables (sandbox by default) and dispatches a send by channel;
//! - [`smtp`] (email, DKIM-signed through [`dkim`]), [`twilio`] (SMS and voice), [`whatsapp`] (Meta Cloud API) and
//!   [`linkedin`] (an HTTP bridge) are the real transports; [`sandbox`] records instead;
//! - [`pacing`] keeps each sender under its provider's rate (a keyed `governor` limiter);
//! - [`config`] holds the serde types of the TOML tables, [`secret`] the secrets read from the
//!   environment at construction (never printed).
//!
//! Every transport checks `permit.authorizes(channel, recipient, now)` before any I/O.

use chrono::{DateTime, Utc};
use serde::Serialize;

pub mod config;
pub mod dkim;
pub mod linkedin;
pub mod pacing;
pub mod registry;
pub mod sandbox;
pub mod secret;
pub mod smtp;
pub mod twilio;
pub mod whatsapp;

mod http;

pub use config::{ChannelsConfig, ConfigError};
pub use registry::Transports;
pub use secret::Secret;

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
    /// Email: the signed one-click unsubscribe URL for this touch (RFC 8058), sent as
    /// `List-Unsubscribe: <url>` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    /// The SMTP transport refuses to send without one unless `require_unsubscribe_url = false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
    /// The caller's last look (the DNC list), run by every transport after any pacing wait and
    /// right before the provider call: an opt-out committed while the send waited for its
    /// sender's turn still stops it.
    #[serde(skip)]
    pub last_check: Option<LastCheck>,
}

/// What the caller's last look before the provider call concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastCheckVerdict {
    /// Nothing stops the send.
    Proceed,
    /// Something stops it for good (`dnc_listed`, `litigation_hold` …), with what was found.
    Stop {
        reason: gate::Reason,
        detail: String,
    },
    /// The check could not be made (the list could not be read): nothing is sent now.
    Unavailable { detail: String },
    /// The caller no longer owns the send (its node lost its lease and another node declared
    /// the outcome unknown): nothing is sent.
    Withdrawn { detail: String },
}

type CheckFuture = std::pin::Pin<Box<dyn std::future::Future<Output = LastCheckVerdict> + Send>>;

/// A check run right before the provider call; anything but `Proceed` stops the send.
#[derive(Clone)]
pub struct LastCheck(std::sync::Arc<dyn Fn() -> CheckFuture + Send + Sync>);

impl LastCheck {
    pub fn new<F, Fut>(f: F) -> LastCheck
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = LastCheckVerdict> + Send + 'static,
    {
        LastCheck(std::sync::Arc::new(move || Box::pin(f())))
    }
}

impl std::fmt::Debug for LastCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LastCheck")
    }
}

/// Runs the message's last check, if any: `Err(Stopped | CheckUnavailable)` unless it says
/// proceed.
pub(crate) async fn last_check(msg: &OutboundMessage) -> Result<(), SendError> {
    let Some(check) = &msg.last_check else {
        return Ok(());
    };
    match (check.0)().await {
        LastCheckVerdict::Proceed => Ok(()),
        LastCheckVerdict::Stop { reason, detail } => Err(SendError::Stopped { reason, detail }),
        LastCheckVerdict::Unavailable { detail } => Err(SendError::CheckUnavailable { detail }),
        LastCheckVerdict::Withdrawn { detail } => Err(SendError::Withdrawn { detail }),
    }
}

/// A provider's acceptance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's id for the message: SMTP `Message-ID` (with its angle brackets), Twilio
    /// `sid`, Meta `messages[0].id`, the bridge's message / invitation / chat id.
    pub provider_message_id: String,
    /// What the sandbox recorded (the message as it would have gone out).
    pub recorded: Option<serde_json::Value>,
}

/// Every way a send can end other than success; the dispatcher maps each to a touch state.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The caller's last check (see [`OutboundMessage::last_check`]) stopped the send before
    /// any request left: nothing was sent.
    #[error("stopped before sending ({reason}): {detail}")]
    Stopped {
        reason: gate::Reason,
        detail: String,
    },
    /// The caller's last check could not be made: nothing was sent.
    #[error("last check unavailable: {detail}")]
    CheckUnavailable { detail: String },
    /// The caller no longer owns the send: nothing was sent.
    #[error("withdrawn before sending: {detail}")]
    Withdrawn { detail: String },
    /// The permit does not cover this send (wrong channel/recipient, or expired).
    #[error("permit refused")]
    Permit(#[from] gate::PermitError),
    /// The provider (or our own pacing of the sender) asked us to slow down; no attempt is used.
    #[error("provider throttled; retry at {retry_at:?}")]
    Throttled { retry_at: Option<DateTime<Utc>> },
    /// A transient failure (5xx, connection refused before the request left): retry with backoff.
    #[error("transient provider error: {detail}")]
    Transient { detail: String },
    /// The provider refused for good (4xx): the touch fails.
    #[error("provider refused: {detail}")]
    Rejected {
        code: Option<String>,
        detail: String,
    },
    /// The recipient unsubscribed at the provider (Twilio 21610: replied STOP to the sender):
    /// write a DNC row, block the touch.
    #[error("recipient unsubscribed at the provider: {detail}")]
    Unsubscribed { detail: String },
    /// The request may have reached the provider (timeout, reset): never resend on our own.
    #[error("outcome unknown: {detail}")]
    Unknown { detail: String },
    /// The provider says the recipient address / number cannot receive this channel (Twilio
    /// 21211, 21217, 21401, 21614): the touch fails with `invalid_recipient`.
    #[error("invalid recipient: {detail}")]
    InvalidRecipient { detail: String },
    /// WhatsApp 131047: free-form text outside the 24-hour customer-service window. Blocked
    /// with `whatsapp_window_closed` until the lead writes again (a template may still go).
    #[error("messaging window closed: {detail}")]
    WindowClosed { detail: String },
    /// The provider refuses the template (WhatsApp 132000, 132001, 132015, 132016: missing,
    /// wrong parameters, paused, disabled): blocked with `whatsapp_template_unapproved`.
    #[error("template not approved at the provider: {detail}")]
    TemplateUnapproved { detail: String },
    /// The recipient stopped marketing messages on one channel at the provider (WhatsApp
    /// 131050): write a DNC row scoped to `channel` (reason `provider_unsubscribed`), block the
    /// touch. Other channels are unaffected.
    #[error("recipient stopped marketing on {channel} at the provider: {detail}")]
    StopMarketing {
        channel: gate::Channel,
        detail: String,
    },
}

impl SendError {
    /// The contract reason this outcome blocks or fails a touch with, where one applies
    /// (`dnc_listed`, `invalid_recipient`, `whatsapp_window_closed`,
    /// `whatsapp_template_unapproved`, or the last check's own).
    pub fn reason(&self) -> Option<gate::Reason> {
        match self {
            SendError::Unsubscribed { .. } | SendError::StopMarketing { .. } => {
                Some(gate::Reason::DncListed)
            }
            SendError::InvalidRecipient { .. } => Some(gate::Reason::InvalidRecipient),
            SendError::WindowClosed { .. } => Some(gate::Reason::WhatsappWindowClosed),
            SendError::TemplateUnapproved { .. } => Some(gate::Reason::WhatsappTemplateUnapproved),
            SendError::Stopped { reason, .. } => Some(*reason),
            SendError::Rejected { .. }
            | SendError::Permit(_)
            | SendError::CheckUnavailable { .. }
            | SendError::Withdrawn { .. }
            | SendError::Throttled { .. }
            | SendError::Transient { .. }
            | SendError::Unknown { .. } => None,
        }
    }

    /// The provider's own refusal code (`twilio_21612`, `smtp_550` …) of a `Rejected`.
    pub fn provider_code(&self) -> Option<&str> {
        match self {
            SendError::Rejected { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The DNC scope a provider-side unsubscribe implies: `*` for a STOP at the provider
    /// (`Unsubscribed`), the one channel for `StopMarketing`; `None` for every other outcome.
    pub fn dnc_scope(&self) -> Option<gate::ChannelScope> {
        match self {
            SendError::Unsubscribed { .. } => Some(gate::ChannelScope::All),
            SendError::StopMarketing { channel, .. } => Some(gate::ChannelScope::Only(*channel)),
            _ => None,
        }
    }

    /// Whether the same touch may be sent again later without risk of a duplicate and with a
    /// chance of success (throttled or transient).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            SendError::Throttled { .. } | SendError::Transient { .. }
        )
    }
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
