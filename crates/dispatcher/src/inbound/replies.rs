//! Replies stop sequences: a message from a person (not an opt-out, a wrong number, help, an
//! opt-in or an auto-reply) cancels the lead's pending marketing touches of the campaign it
//! answers (`stop_on_reply = "campaign"`, the default), or all of them (`"all"`); `"off"`
//! changes nothing. The campaign a reply answers is the campaign of the touch it replies to:
//! for email the touch whose Message-ID its `In-Reply-To`/`References` names, on other channels
//! the most recent touch sent to that contact on that channel; with no such touch nothing is
//! cancelled. An out-of-office reply that names a return date moves the same touches to
//! 00:00 of that day in the lead's first candidate zone (touches whose deadline comes first
//! are re-decided at their deadline and expire as usual).

use chrono::{DateTime, Utc};

use super::{Inbound, InboundError};
use crate::app::AppState;
use crate::config::{StopOnReply, WorkspaceSettings};
use crate::touch::{CancelCause, Outcome, SnoozeCause};

/// What a reply did to the touches it answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyEffect {
    /// Touches cancelled (`lead_replied`).
    pub cancelled: Vec<String>,
    /// Touches moved to the out-of-office return date.
    pub rescheduled: Vec<String>,
}

/// Applies `stop_on_reply` for one message.
pub(super) async fn follow(
    state: &AppState,
    workspace: &str,
    ws: &WorkspaceSettings,
    m: &Inbound<'_>,
    intent: &gate::Intent,
    leads: &[String],
    at: DateTime<Utc>,
) -> Result<ReplyEffect, InboundError> {
    let mut effect = ReplyEffect::default();
    if ws.stop_on_reply == StopOnReply::Off || leads.is_empty() {
        return Ok(effect);
    }
    let return_at = match intent {
        gate::Intent::None => None,
        gate::Intent::AutoReply { .. } => {
            let Some(back) = return_date(state, workspace, ws, m, leads, at).await? else {
                return Ok(effect);
            };
            Some(back)
        }
        _ => return Ok(effect),
    };
    let campaign = match ws.stop_on_reply {
        StopOnReply::All => None,
        StopOnReply::Campaign | StopOnReply::Off => {
            let Some(c) = answered_campaign(state, workspace, m).await? else {
                return Ok(effect);
            };
            Some(c)
        }
    };
    let store = &state.store;
    let now = state.clock.now();
    for t in store
        .pending_marketing_touches(workspace, leads, campaign.as_deref())
        .await?
    {
        let outcome = match return_at {
            None => Outcome::cancelled(
                CancelCause::LeadReplied,
                format!("the lead replied on {}", m.channel),
            ),
            Some(back) => Outcome::snoozed(
                SnoozeCause::OutOfOffice,
                back.min(t.deadline),
                format!(
                    "out of office until {}",
                    crate::domain::time::format_instant(&back)
                ),
            ),
        };
        if store.apply(&t.id, now, &outcome).await?.changed() {
            match return_at {
                None => effect.cancelled.push(t.id),
                Some(_) => effect.rescheduled.push(t.id),
            }
        }
    }
    Ok(effect)
}

/// The campaign of the touch a reply answers.
async fn answered_campaign(
    state: &AppState,
    workspace: &str,
    m: &Inbound<'_>,
) -> Result<Option<String>, InboundError> {
    let store = &state.store;
    let touch = if m.channel == gate::Channel::Email && !m.in_reply_to.is_empty() {
        store.touch_by_message_ids(workspace, m.in_reply_to).await?
    } else {
        None
    };
    let touch = match touch {
        Some(t) => Some(t),
        None => {
            store
                .latest_sent_touch_to(workspace, m.from.as_str(), m.channel)
                .await?
        }
    };
    Ok(touch.and_then(|t| t.campaign_id))
}

/// The out-of-office return instant the message names, in the first candidate zone of the
/// sender's first lead.
async fn return_date(
    state: &AppState,
    workspace: &str,
    ws: &WorkspaceSettings,
    m: &Inbound<'_>,
    leads: &[String],
    at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, InboundError> {
    let zone = match leads.first() {
        Some(id) => state.store.get_lead(workspace, id).await?.and_then(|l| {
            gate::timezone::resolve_place(&l.facts, m.channel, ws.policy.default_timezone)
                .zones
                .first()
                .copied()
        }),
        None => None,
    }
    .unwrap_or(ws.policy.default_timezone);
    let text = match m.subject {
        Some(s) => format!("{s}\n{}", m.body),
        None => m.body.to_owned(),
    };
    Ok(gate::out_of_office_return(&text, at, zone))
}
