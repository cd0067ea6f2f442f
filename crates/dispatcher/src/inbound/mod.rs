//! The one inbound path. `POST /v1/inbound` and every provider webhook (Twilio SMS, Meta
//! WhatsApp, raw inbound email) feed [`process`]: a message already taken (the provider's
//! message id seen before) is answered as the first time and changes nothing; otherwise the
//! gate's detector classifies it; an opt-out or a wrong-number reply commits its DNC row (and
//! the consent void) before anything answers; the sender's leads' last-inbound time (the
//! WhatsApp 24 h window) moves; a reply from a person stops the sequence it answers, and an
//! out-of-office reply moves it ([`replies`]); the message is logged. After a new SMS or
//! WhatsApp opt-out, the one confirmation allowed by 47 CFR 64.1200(a)(12) is sent in the
//! background ([`confirmation`]).

mod confirmation;
mod dnc;
mod replies;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tracing::{debug, info};

use crate::app::AppState;
use crate::config::{OptOutScope, WorkspaceSettings};
use crate::store::{DncRow, InboundRecord, StoreError};

pub use confirmation::{Confirmation, Confirmed, confirm_opt_out, confirmation_key};
pub use dnc::{WantedDnc, ensure_dnc};
pub use replies::ReplyEffect;

/// Why an inbound message could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// One message as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    pub channel: gate::Channel,
    pub from: &'a gate::Contact,
    /// Our number or address it was sent to.
    pub to: Option<&'a str>,
    pub body: &'a str,
    pub subject: Option<&'a str>,
    /// Email headers (`Name`, `value`), for auto-reply detection.
    pub headers: &'a [(&'a str, &'a str)],
    /// Default now; a future instant counts as now.
    pub received_at: Option<DateTime<Utc>>,
    /// The provider's id of the message (Twilio `MessageSid`, Meta's id, the email
    /// `Message-ID`, `message_id` of `POST /v1/inbound`): a repeat is a replay.
    pub message_id: Option<&'a str>,
    /// Email: the ids it replies to (`In-Reply-To`, `References`).
    pub in_reply_to: &'a [String],
}

/// What [`process`] did with one message.
#[derive(Debug, Clone)]
pub struct InboundOutcome {
    /// `opt_out`, `opt_in`, `help`, `wrong_number`, `auto_reply` or `none`.
    pub intent: &'static str,
    /// The keyword, phrase or header that decided the intent.
    pub matched: Option<String>,
    /// The DNC row covering the opt-out or wrong number (new, or the open one reused).
    pub dnc: Option<DncRow>,
    /// Whether `dnc` was written for this message (false: an earlier row already covered it).
    pub dnc_created: bool,
    /// The workspace's leads that have the sender as a contact.
    pub leads: Vec<String>,
    /// The sender, canonical.
    pub contact: String,
    /// When the message was received (never after now; for a replay, the first receipt).
    pub received_at: DateTime<Utc>,
    /// What the reply did to the sequences it answers.
    pub reply: ReplyEffect,
    /// The message was taken before (same provider message id): nothing changed now.
    pub replay: bool,
}

impl InboundOutcome {
    /// The answer of `POST /v1/inbound` (and of the webhooks that answer in JSON):
    /// `{"opt_out", "intent", "matched"?, "dnc"?, "leads", "cancelled"?, "rescheduled"?}`.
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
            if !self.reply.cancelled.is_empty() {
                map.insert("cancelled".to_owned(), json!(self.reply.cancelled));
            }
            if !self.reply.rescheduled.is_empty() {
                map.insert("rescheduled".to_owned(), json!(self.reply.rescheduled));
            }
            if self.replay {
                map.insert("replay".to_owned(), Value::Bool(true));
            }
        }
        out
    }
}

/// Whether `contact` can have sent a message on `channel` (a phone for sms, call and
/// WhatsApp, an address for email, a LinkedIn id for LinkedIn).
pub fn kind_matches(channel: gate::Channel, contact: &gate::Contact) -> bool {
    match channel {
        gate::Channel::Email => matches!(contact, gate::Contact::Email(_)),
        gate::Channel::Linkedin => matches!(contact, gate::Contact::LinkedIn(_)),
        gate::Channel::Sms | gate::Channel::Call | gate::Channel::Whatsapp => {
            matches!(contact, gate::Contact::Phone(_))
        }
    }
}

/// The contract's intent names, as stored.
const INTENTS: [&str; 6] = [
    "opt_out",
    "opt_in",
    "help",
    "wrong_number",
    "auto_reply",
    "none",
];

/// Takes one inbound message in `workspace`. The DNC row of an opt-out is committed when this
/// returns.
pub async fn process(
    state: &AppState,
    workspace: &str,
    m: &Inbound<'_>,
) -> Result<InboundOutcome, InboundError> {
    let store = &state.store;
    let contact = m.from.as_str().to_owned();
    if let Some(id) = m.message_id
        && let Some(first) = store.inbound_seen(workspace, m.channel, id).await?
    {
        return replayed(state, workspace, m, &contact, first).await;
    }
    let now = state.clock.now();
    let ws = state.config.workspace(workspace);
    let at = m.received_at.map_or(now, |t| t.min(now));
    let intent = gate::classify_inbound(
        m.channel,
        &gate::InboundMessage {
            body: m.body,
            subject: m.subject,
            headers: m.headers,
        },
        &ws.opt_out,
    );
    // Claim the message id first: of two deliveries at once, one goes on.
    let matched = intent.matched().map(str::to_owned);
    let record = InboundRecord {
        workspace,
        at,
        channel: m.channel,
        sender: &contact,
        body: m.body,
        intent: intent.as_str(),
        matched: matched.as_deref(),
        message_id: m.message_id,
    };
    let Some(seq) = store.log_inbound(&record).await? else {
        let first = store
            .inbound_seen(workspace, m.channel, m.message_id.unwrap_or_default())
            .await?;
        if let Some(first) = first {
            return replayed(state, workspace, m, &contact, first).await;
        }
        return Err(StoreError::Contended {
            what: "inbound message".to_owned(),
        }
        .into());
    };

    let dnc = take_dnc(state, workspace, &ws, m, &intent, &contact, at, now).await?;
    if let Some((row, _)) = &dnc {
        store.link_inbound_dnc(seq, &row.id).await?;
    }

    let leads = store.leads_with_contact(workspace, &contact).await?;
    store
        .record_inbound(workspace, &leads, m.channel.as_str(), at)
        .await?;
    let reply = replies::follow(state, workspace, &ws, m, &intent, &leads, at).await?;
    debug!(workspace, channel = %m.channel, intent = intent.as_str(), leads = leads.len(), cancelled = reply.cancelled.len(), "inbound message");

    let dnc_created = dnc.as_ref().is_some_and(|(_, c)| *c);
    if let Some((row, true)) = &dnc {
        confirm_in_background(state, workspace, m, &contact, row, at);
    }

    Ok(InboundOutcome {
        intent: intent.as_str(),
        matched,
        dnc: dnc.map(|(row, _)| row),
        dnc_created,
        leads,
        contact,
        received_at: at,
        reply,
        replay: false,
    })
}

/// Writes (or finds) the DNC row an opt-out or a wrong-number reply calls for, voiding the
/// number's consents for a wrong number; `None` for any other intent. Whether this call
/// created the row.
#[allow(clippy::too_many_arguments)]
async fn take_dnc(
    state: &AppState,
    workspace: &str,
    ws: &WorkspaceSettings,
    m: &Inbound<'_>,
    intent: &gate::Intent,
    contact: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<(DncRow, bool)>, InboundError> {
    let store = &state.store;
    Ok(match intent {
        gate::Intent::OptOut(o) => {
            // `opt_out_scope = "channel"`: a reply stops the channel it came on only.
            let scope = match ws.opt_out_scope {
                OptOutScope::All => o.scope,
                OptOutScope::Channel => gate::ChannelScope::Only(m.channel),
            };
            let wanted = WantedDnc {
                contact,
                scope,
                reason: gate::DncReason::OptOutReply,
                source: format!("inbound_{}", m.channel),
                added_by: "touchgate inbound".to_owned(),
            };
            let (row, created) = ensure_dnc(state, workspace, &wanted, now).await?;
            if created {
                info!(workspace, dnc_id = %row.id, channel = %m.channel, scope = %scope, "opt-out reply: DNC entry added");
            }
            Some((row, created))
        }
        gate::Intent::WrongNumber(_) => {
            // Whoever consented at this number is not the person who answers it: every
            // consent for the contact up to now is void, and the number is not contacted.
            let wanted = WantedDnc {
                contact,
                scope: gate::ChannelScope::All,
                reason: gate::DncReason::WrongNumber,
                source: format!("inbound_{}", m.channel),
                added_by: "touchgate inbound".to_owned(),
            };
            let (row, created) = ensure_dnc(state, workspace, &wanted, now).await?;
            store
                .void_consents(workspace, contact, at, "wrong_number", now)
                .await?;
            if created {
                info!(workspace, dnc_id = %row.id, channel = %m.channel, "wrong-number reply: DNC entry added, consents void");
            }
            Some((row, created))
        }
        gate::Intent::OptIn { .. }
        | gate::Intent::Help { .. }
        | gate::Intent::AutoReply { .. }
        | gate::Intent::None => None,
    })
}

/// After a new SMS or WhatsApp opt-out: the one confirmation allowed, sent in the background.
fn confirm_in_background(
    state: &AppState,
    workspace: &str,
    m: &Inbound<'_>,
    contact: &str,
    row: &DncRow,
    at: DateTime<Utc>,
) {
    if !matches!(m.channel, gate::Channel::Sms | gate::Channel::Whatsapp)
        || !state.config.opt_out_confirmation.enabled
    {
        return;
    }
    let job = Confirmation {
        workspace: workspace.to_owned(),
        channel: m.channel,
        contact: contact.to_owned(),
        dnc_id: row.id.clone(),
        opted_out_at: at,
        to: m.to.map(str::to_owned),
    };
    let task_state = state.clone();
    state.background.spawn(async move {
        if let Err(e) = confirm_opt_out(&task_state, &job).await {
            tracing::error!(workspace = %job.workspace, dnc_id = %job.dnc_id, error = %crate::logging::chain(&e), "opt-out confirmation failed");
        }
    });
}

/// The answer to a message taken before: what it was answered the first time. An opt-out or
/// wrong number whose DNC row the first receipt has not linked yet — it is being taken at this
/// very moment, or it stopped between claiming the message and writing the row — has the row
/// written (or found) now: the answer names it, and a STOP is never lost to a claim alone.
async fn replayed(
    state: &AppState,
    workspace: &str,
    m: &Inbound<'_>,
    contact: &str,
    first: crate::store::SeenInbound,
) -> Result<InboundOutcome, InboundError> {
    let mut dnc = match &first.dnc_id {
        Some(id) => state.store.get_dnc(workspace, id).await?,
        None => None,
    };
    if first.dnc_id.is_none() && matches!(first.intent.as_str(), "opt_out" | "wrong_number") {
        let ws = state.config.workspace(workspace);
        let intent = gate::classify_inbound(
            m.channel,
            &gate::InboundMessage {
                body: m.body,
                subject: m.subject,
                headers: m.headers,
            },
            &ws.opt_out,
        );
        let now = state.clock.now();
        let at = first.received_at;
        if let Some((row, created)) =
            take_dnc(state, workspace, &ws, m, &intent, contact, at, now).await?
        {
            state.store.link_inbound_dnc(first.seq, &row.id).await?;
            if created {
                confirm_in_background(state, workspace, m, contact, &row, at);
            }
            dnc = Some(row);
        }
    }
    debug!(workspace, "inbound message replayed; nothing changes");
    Ok(InboundOutcome {
        intent: INTENTS
            .into_iter()
            .find(|i| *i == first.intent)
            .unwrap_or("none"),
        matched: first.matched,
        dnc,
        dnc_created: false,
        leads: state.store.leads_with_contact(workspace, contact).await?,
        contact: contact.to_owned(),
        received_at: first.received_at,
        reply: ReplyEffect::default(),
        replay: true,
    })
}
