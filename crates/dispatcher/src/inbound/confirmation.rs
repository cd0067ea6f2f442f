//! The one confirmation of an SMS or WhatsApp opt-out (47 CFR 64.1200(a)(12)).

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};

use crate::app::AppState;
use crate::domain::{Content, TouchBody};
use crate::store::{NewTouch, StoreError};
use crate::touch::{BlockCause, Event, Outcome, ReviewCause, TimelineKind, TouchReason};
use workers::{OutboundMessage, SendError};

/// One opt-out to confirm.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub workspace: String,
    pub channel: gate::Channel,
    /// The person, canonical (the recipient of the confirmation).
    pub contact: String,
    /// The opt-out's DNC row: the confirmation's idempotency key is derived from it.
    pub dnc_id: String,
    pub opted_out_at: DateTime<Utc>,
    /// The number (or WhatsApp number) the opt-out was sent to: the confirmation comes from it
    /// when no touch was ever sent to the person.
    pub to: Option<String>,
}

/// What happened to a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    Sent {
        touch_id: String,
    },
    /// Disabled, nothing to send from, already confirmed, or too late.
    Skipped(String),
    /// The provider did not take it (recorded on the touch).
    NotSent {
        touch_id: String,
        detail: String,
    },
}

/// The idempotency key of the confirmation of DNC row `dnc_id`.
pub fn confirmation_key(dnc_id: &str) -> String {
    format!("opt-out-confirmation:{dnc_id}")
}

/// Sends the single confirmation of an SMS or WhatsApp opt-out: recorded as a transactional
/// touch whose idempotency key names the opt-out's DNC row (so it exists at most once), sent
/// with the permit of [`gate::confirm_opt_out`] (right channel, within five minutes, once) and
/// never through the ordinary gate, which the DNC row would stop. It comes from the account of
/// the most recent touch to the person; with none, from the number the opt-out was sent to
/// (the touch's account is that number); with neither there is nothing to confirm from.
pub async fn confirm_opt_out(
    state: &AppState,
    job: &Confirmation,
) -> Result<Confirmed, StoreError> {
    let cfg = &state.config.opt_out_confirmation;
    if !cfg.enabled {
        return Ok(Confirmed::Skipped("disabled".to_owned()));
    }
    let store = &state.store;
    let ws = job.workspace.as_str();
    let leads = store.leads_with_contact(ws, &job.contact).await?;
    let sender = store
        .latest_touch_sender(ws, &leads, job.channel.as_str())
        .await?;
    let (account_id, lead_id, from) = match (sender, &job.to) {
        (Some((account_id, lead_id)), _) => {
            let from = store
                .get_account(ws, &account_id)
                .await?
                .and_then(|a| a.body.senders.get(&job.channel).cloned());
            (account_id, lead_id, from)
        }
        (None, Some(to)) => (
            to.clone(),
            leads.first().cloned().unwrap_or_default(),
            Some(to.clone()),
        ),
        (None, None) => {
            warn!(workspace = ws, dnc_id = %job.dnc_id, channel = %job.channel, "opt-out confirmation skipped: no touch was ever sent to this contact and the number it wrote to is unknown");
            return Ok(Confirmed::Skipped("nothing to confirm from".to_owned()));
        }
    };
    let text = cfg.render();
    let now = state.clock.now();
    let key = confirmation_key(&job.dnc_id);
    let request = TouchBody {
        idempotency_key: Some(key.clone()),
        account_id: account_id.clone(),
        lead_id,
        channel: job.channel,
        purpose: Some(gate::Purpose::Transactional),
        template: None,
        content: Some(Content {
            subject: None,
            body: Some(text.clone()),
        }),
        not_before: None,
        deadline: None,
        campaign_id: None,
        step: None,
        action: None,
        automated: None,
    };
    let touch_id = uuid::Uuid::now_v7().to_string();
    let new = NewTouch {
        workspace: ws.to_owned(),
        id: touch_id,
        idempotency_key: key,
        request,
        next_attempt_at: now,
        deadline: (job.opted_out_at + gate::CONFIRMATION_WINDOW).max(now),
        now,
    };
    let (touch, created) = store.create_confirmation_touch(&new, &job.contact).await?;
    let permit = gate::confirm_opt_out(
        &touch.id,
        &account_id,
        job.channel,
        &job.contact,
        job.opted_out_at,
        !created,
        now,
    );
    let permit = match permit {
        Ok(p) => p,
        Err(refused) => {
            if created {
                let outcome = Outcome::blocked(
                    BlockCause::ConfirmationRefused,
                    TouchReason::OptOutConfirmationRefused,
                    refused.to_string(),
                );
                store.apply(&touch.id, now, &outcome).await?;
            }
            info!(workspace = ws, dnc_id = %job.dnc_id, touch_id = %touch.id, reason = %refused, "opt-out confirmation not sent");
            return Ok(Confirmed::Skipped(refused.to_string()));
        }
    };
    store
        .record_touch_event(
            &touch.id,
            now,
            TimelineKind::OptOutConfirmation,
            true,
            None,
            &format!(
                "the one confirmation of the opt-out of DNC entry {} (received {}); sent outside the ordinary gate",
                job.dnc_id,
                job.opted_out_at.to_rfc3339()
            ),
        )
        .await?;
    let msg = OutboundMessage {
        touch_id: touch.id.clone(),
        channel: job.channel,
        to: job.contact.clone(),
        from,
        subject: None,
        body: Some(text),
        template: None,
        linkedin_action: None,
        unsubscribe_url: None,
        last_check: None,
    };
    let result = state.dispatcher.transports.send(permit, &msg, now).await;
    let now = state.clock.now();
    match result {
        Ok(receipt) => {
            store
                .mark_sent(
                    &touch.id,
                    now,
                    &receipt.provider_message_id,
                    receipt.recorded.as_ref(),
                )
                .await?;
            state.metrics.event(Event::ProviderAccepted);
            debug!(workspace = ws, dnc_id = %job.dnc_id, touch_id = %touch.id, channel = %job.channel, "opt-out confirmation sent");
            Ok(Confirmed::Sent { touch_id: touch.id })
        }
        Err(e) => {
            // Never retried: a second attempt could not be inside the five minutes for sure,
            // and the rule allows one message.
            let detail = format!("opt-out confirmation not sent: {e}");
            let outcome = match &e {
                SendError::Unknown { .. } => {
                    Outcome::needs_review(ReviewCause::OutcomeUnknown, detail.clone())
                }
                _ => Outcome::failed(None, detail.clone()),
            };
            store.apply(&touch.id, now, &outcome).await?;
            state.metrics.event(outcome.event);
            warn!(workspace = ws, dnc_id = %job.dnc_id, touch_id = %touch.id, error = %e, "opt-out confirmation not sent");
            Ok(Confirmed::NotSent {
                touch_id: touch.id,
                detail,
            })
        }
    }
}
