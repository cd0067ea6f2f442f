//! The `Permit`: proof that the gate allowed one touch, on one channel, to one recipient, a
//! moment ago. Only this crate can create one (private fields, no constructor, not `Clone`),
//! and a worker's send takes it by value: no permit, no send; one permit, one send.

use chrono::{DateTime, Duration, Utc};

use crate::channel::Channel;

/// How long a permit stays valid after the decision. Short: the facts it was decided on
/// (DNC, quiet hours, caps) may change; a worker that waited longer must ask again.
pub const PERMIT_TTL: Duration = Duration::seconds(120);

#[derive(Debug)]
pub struct Permit {
    touch_id: String,
    account_id: String,
    channel: Channel,
    recipient: String,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl Permit {
    pub(crate) fn issue(
        touch_id: &str,
        account_id: &str,
        channel: Channel,
        recipient: &str,
        now: DateTime<Utc>,
    ) -> Permit {
        Permit {
            touch_id: touch_id.to_owned(),
            account_id: account_id.to_owned(),
            channel,
            recipient: recipient.to_owned(),
            issued_at: now,
            expires_at: crate::instant::plus(now, PERMIT_TTL),
        }
    }

    pub fn touch_id(&self) -> &str {
        &self.touch_id
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The canonical contact the permit allows (E.164 phone, email, LinkedIn id).
    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Whether the permit may still be used at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.issued_at && now < self.expires_at
    }

    /// Checks the permit covers exactly this send; workers call this before any I/O.
    pub fn authorizes(
        &self,
        channel: Channel,
        recipient: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PermitError> {
        if channel != self.channel {
            return Err(PermitError::WrongChannel {
                permit: self.channel,
                send: channel,
            });
        }
        if recipient != self.recipient {
            return Err(PermitError::WrongRecipient);
        }
        if !self.is_valid_at(now) {
            return Err(PermitError::Expired {
                expired_at: self.expires_at,
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermitError {
    #[error("permit is for {permit}, not {send}")]
    WrongChannel { permit: Channel, send: Channel },
    #[error("permit is for another recipient")]
    WrongRecipient,
    #[error("permit expired at {expired_at}")]
    Expired { expired_at: DateTime<Utc> },
}
