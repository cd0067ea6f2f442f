//! The one inbound path. `POST /v1/inbound` and every provider webhook (Twilio SMS, Meta
//! WhatsApp, raw inbound email) feed [`process`]: classify the message with the gate's
//! detector; on an opt-out commit the DNC row (reusing an open one that covers it) before
//! anything answers; refresh the sender's leads' last-inbound time (the WhatsApp 24 h window);
//! log the message. After a new SMS or WhatsApp opt-out, the one confirmation message allowed
//! by 47 CFR 64.1200(a)(12) is sent in the background ([`confirm_opt_out`]).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tracing::{debug, info, warn};

use crate::app::AppState;
use crate::config::OptOutScope;
use crate::domain::{Content, DncBody, TouchBody};
use crate::store::{DncRow, NewTouch, StoreError};
use crate::touch::{BlockCause, Event, Outcome, ReviewCause, TimelineKind, TouchReason};
use workers::{OutboundMessage, SendError};

/// Why an inbound message could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// What [`process`] did with one message.
#[derive(Debug, Clone)]
pub struct InboundOutcome {
    /// `opt_out`, `opt_in`, `help` or `none`.
    pub intent: &'static str,
    /// The keyword, phrase or header that decided the intent.
    pub matched: Option<String>,
    /// The DNC row covering the opt-out (new, or the open one reused).
    pub dnc: Option<DncRow>,
    /// Whether `dnc` was written for this message (false: an earlier row already covered it).
    pub dnc_created: bool,
    /// The workspace's leads that have the sender as a contact.
    pub leads: Vec<String>,
    /// The sender, canonical.
    pub contact: String,
    /// When the message was received (never after now).
    pub received_at: DateTime<Utc>,
}

impl InboundOutcome {
    /// The answer of `POST /v1/inbound` (and of the webhooks that answer in JSON):
    /// `{"opt_out", "intent", "matched"?, "dnc"?, "leads"}`.
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "opt_out": self.dnc.is_some(),
            "intent": self.intent,
            "leads": self.leads,
        });
        if let Some(map) = out.as_object_mut() {
            if let Some(m) = &self.matched {
                map.insert("matched".to_owned(), Value::String(m.clone()));
            }
            if let Some(row) = &self.dnc {
                map.insert(
                    "dnc".to_owned(),
                    serde_json::to_value(row).unwrap_or(Value::Null),
                );
            }
        }
        out
    }
}

/// Whether `contact` is the kind of sender `channel` has (a phone for sms, call, whatsapp).
pub fn kind_matches(channel: gate::Channel, contact: &gate::Contact) -> bool {
    match channel {
        gate::Channel::Email => matches!(contact, gate::Contact::Email(_)),
        gate::Channel::Linkedin => matches!(contact, gate::Contact::LinkedIn(_)),
        gate::Channel::Sms | gate::Channel::Call | gate::Channel::Whatsapp => {
            matches!(contact, gate::Contact::Phone(_))
        }
    }
}

/// Takes one inbound message from `from` on `channel` in `workspace`. `received_at` defaults
/// to now; a future instant counts as now. The DNC row of an opt-out is committed when this
/// returns.
#[allow(clippy::too_many_arguments)]
pub async fn process(
    state: &AppState,
    workspace: &str,
    channel: gate::Channel,
    from: &gate::Contact,
    body: &str,
    subject: Option<&str>,
    headers: &[(&str, &str)],
    received_at: Option<DateTime<Utc>>,
) -> Result<InboundOutcome, InboundError> {
    let now = state.clock.now();
    let ws = state.config.workspace(workspace);
    let contact = from.as_str().to_owned();
    let at = received_at.map_or(now, |t| t.min(now));
    let intent = gate::classify_inbound(
        channel,
        &gate::InboundMessage {
            body,
            subject,
            headers,
        },
        &ws.opt_out,
    );

    let store = &state.store;
    let intent_name = intent.as_str();
    let matched = intent.matched().map(str::to_owned);
    let dnc = match &intent {
        gate::Intent::OptOut(o) => {
            // `opt_out_scope = "channel"`: a reply stops the channel it came on only.
            let scope = match ws.opt_out_scope {
                OptOutScope::All => o.scope,
                OptOutScope::Channel => gate::ChannelScope::Only(channel),
            };
            let wanted = WantedDnc {
                contact: &contact,
                scope,
                reason: gate::DncReason::OptOutReply,
                source: format!("inbound_{channel}"),
                added_by: "touchgate inbound".to_owned(),
            };
            let (row, created) = ensure_dnc(state, workspace, &wanted, now).await?;
            if created {
                info!(workspace, dnc_id = %row.id, channel = %channel, scope = %scope, "opt-out reply: DNC entry added");
            }
            Some((row, created))
        }
        gate::Intent::WrongNumber(_) => {
            // Whoever consented at this number is not the person who answers it: every
            // consent for the contact up to now is void, and the number is not contacted.
            let wanted = WantedDnc {
                contact: &contact,
                scope: gate::ChannelScope::All,
                reason: gate::DncReason::WrongNumber,
                source: format!("inbound_{channel}"),
                added_by: "touchgate inbound".to_owned(),
            };
            let (row, created) = ensure_dnc(state, workspace, &wanted, now).await?;
            store
                .void_consents(workspace, &contact, at, "wrong_number", now)
                .await?;
            if created {
                info!(workspace, dnc_id = %row.id, channel = %channel, "wrong-number reply: DNC entry added, consents void");
            }
            Some((row, created))
        }
        gate::Intent::OptIn { .. }
        | gate::Intent::Help { .. }
        | gate::Intent::AutoReply { .. }
        | gate::Intent::None => None,
    };

    let leads = store.leads_with_contact(workspace, &contact).await?;
    store
        .record_inbound(workspace, &leads, channel.as_str(), at)
        .await?;
    store
        .log_inbound(
            workspace,
            at,
            channel.as_str(),
            &contact,
            body,
            intent_name,
            matched.as_deref(),
        )
        .await?;
    debug!(workspace, channel = %channel, intent = intent_name, leads = leads.len(), "inbound message");

    let dnc_created = dnc.as_ref().is_some_and(|(_, c)| *c);
    if let Some((row, true)) = &dnc
        && matches!(channel, gate::Channel::Sms | gate::Channel::Whatsapp)
        && state.config.opt_out_confirmation.enabled
    {
        let job = Confirmation {
            workspace: workspace.to_owned(),
            channel,
            contact: contact.clone(),
            dnc_id: row.id.clone(),
            opted_out_at: at,
        };
        let task_state = state.clone();
        state.background.spawn(async move {
            if let Err(e) = confirm_opt_out(&task_state, &job).await {
                tracing::error!(workspace = %job.workspace, dnc_id = %job.dnc_id, error = %crate::logging::chain(&e), "opt-out confirmation failed");
            }
        });
    }

    Ok(InboundOutcome {
        intent: intent_name,
        matched,
        dnc: dnc.map(|(row, _)| row),
        dnc_created,
        leads,
        contact,
        received_at: at,
    })
}

/// A DNC row wanted for a contact (open-ended, not tied to a lead).
#[derive(Debug, Clone)]
pub struct WantedDnc<'a> {
    pub contact: &'a str,
    pub scope: gate::ChannelScope,
    pub reason: gate::DncReason,
    pub source: String,
    pub added_by: String,
}

/// The DNC row for `wanted`: an open-ended row for the same contact with the same reason whose
/// scope covers the wanted one is reused (a second STOP, a webhook retried, a second
/// unsubscribe click add nothing); otherwise one is written. Returns the row and whether it was
/// written now.
///
/// The database decides between concurrent writers, in this process or another daemon on the
/// same database: the partial unique index `dnc_open_contact_reason` admits one open row per
/// (workspace, contact, channel, reason), and [`crate::store::Store::ensure_dnc`] inserts with
/// `ON CONFLICT … DO NOTHING`, then reads back which row won. Only the call that created the
/// row gets `true` (and so only it sends the opt-out confirmation).
pub async fn ensure_dnc(
    state: &AppState,
    workspace: &str,
    wanted: &WantedDnc<'_>,
    now: DateTime<Utc>,
) -> Result<(DncRow, bool), StoreError> {
    let existing = state
        .store
        .list_dnc(workspace, Some(wanted.contact), 10_000)
        .await?;
    if let Some(row) = existing.into_iter().find(|r| {
        r.lead_id.is_none()
            && r.expires_at.is_none()
            && r.removed_at.is_none()
            && r.reason == wanted.reason
            && (r.channel == gate::ChannelScope::All || r.channel == wanted.scope)
    }) {
        return Ok((row, false));
    }
    let body = DncBody {
        contact: Some(wanted.contact.to_owned()),
        lead_id: None,
        channel: wanted.scope,
        reason: wanted.reason,
        source: Some(wanted.source.clone()),
        added_by: Some(wanted.added_by.clone()),
        expires_at: None,
    };
    let id = uuid::Uuid::now_v7().to_string();
    state
        .store
        .ensure_dnc(workspace, &id, &body, Some(wanted.contact), now)
        .await
}

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
/// the most recent touch to the person; with none there is nothing to confirm from.
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
    let Some((account_id, lead_id)) = store
        .latest_touch_sender(ws, &leads, job.channel.as_str())
        .await?
    else {
        warn!(workspace = ws, dnc_id = %job.dnc_id, channel = %job.channel, "opt-out confirmation skipped: no touch was ever sent to this contact, so there is no account to confirm from");
        return Ok(Confirmed::Skipped("no account to confirm from".to_owned()));
    };
    let account = store.get_account(ws, &account_id).await?;
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
        from: account
            .as_ref()
            .and_then(|a| a.body.senders.get(&job.channel).cloned()),
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
