//! Bounces and complaints (arriving at `POST /v1/webhooks/email/inbound`), and sender health.
//!
//! A permanent bounce (`5.x.x`) writes a DNC row on `email` for the address that bounced
//! (reason `hard_bounce`): the address is suppressed, not the lead's other channels. A
//! transient one (`4.x.x`) is counted, not suppressed. A feedback-loop complaint writes a `*`
//! row (reason `complaint`). Each is linked to the touch it answers by Message-ID when known,
//! and a report whose Message-ID names a touch sent to another address suppresses nothing (it
//! is recorded as received). After a bounce or complaint, and after each email send, the
//! account's rates over its last `window_sends` email sends are computed (once it has that
//! many since it began or was resumed); over `max_bounce_rate` or `max_complaint_rate` its
//! email is paused (`channel_paused`, its own flag) and an alert is raised.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::app::AppState;
use crate::config::DeliverabilityConfig;
use crate::email_report::{Bounce, Report};
use crate::inbound::{WantedDnc, ensure_dnc};
use crate::store::{EmailEvent, EmailEventKind, NewAlert, Store, StoreError, TouchRow};
use crate::touch::TimelineKind;

/// Takes a report; answers what it did.
pub async fn take_report(
    state: &AppState,
    report: &Report,
    fallback_workspace: &str,
) -> Result<Value, StoreError> {
    let now = state.clock.now();
    match report {
        Report::Delivery {
            bounces,
            original_message_id,
        } => {
            let touch = touch_for(state, original_message_id.as_deref()).await?;
            let mut out = Vec::new();
            for b in bounces {
                out.push(bounce(state, b, touch.as_ref(), fallback_workspace, now).await?);
            }
            Ok(json!({
                "report": "delivery",
                "touch_id": touch.as_ref().map(|t| t.id.clone()),
                "recipients": out,
            }))
        }
        Report::Complaint {
            feedback_type,
            recipient,
            original_message_id,
        } => {
            let touch = touch_for(state, original_message_id.as_deref()).await?;
            let address = recipient
                .clone()
                .or_else(|| touch.as_ref().and_then(|t| t.recipient.clone()));
            let done = complaint(
                state,
                feedback_type,
                address.as_deref(),
                touch.as_ref(),
                fallback_workspace,
                now,
            )
            .await?;
            Ok(json!({
                "report": "complaint",
                "touch_id": touch.as_ref().map(|t| t.id.clone()),
                "recipient": address,
                "suppressed": done,
            }))
        }
    }
}

/// The touch a report is about, by the Message-ID it quotes (any workspace).
async fn touch_for(state: &AppState, id: Option<&str>) -> Result<Option<TouchRow>, StoreError> {
    let Some(id) = id else { return Ok(None) };
    let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
    if let Some(t) = state
        .store
        .touch_by_provider_message_id(&format!("<{bare}>"))
        .await?
    {
        return Ok(Some(t));
    }
    state.store.touch_by_provider_message_id(bare).await
}

/// The workspaces a report about `address` acts in: the touch's, else every workspace with a
/// lead that has the address (else none: nothing of ours to suppress).
async fn workspaces(
    state: &AppState,
    address: &str,
    touch: Option<&TouchRow>,
) -> Result<Vec<String>, StoreError> {
    match touch {
        Some(t) => Ok(vec![t.workspace.clone()]),
        None => state.store.workspaces_with_contact(address).await,
    }
}

/// Whether the report's address and its touch disagree (then nothing is suppressed).
fn mismatched(address: &str, touch: Option<&TouchRow>) -> bool {
    touch
        .and_then(|t| t.recipient.as_deref())
        .is_some_and(|r| !r.eq_ignore_ascii_case(address))
}

async fn bounce(
    state: &AppState,
    b: &Bounce,
    touch: Option<&TouchRow>,
    fallback_workspace: &str,
    now: DateTime<Utc>,
) -> Result<Value, StoreError> {
    let kind = if b.is_permanent() {
        EmailEventKind::HardBounce
    } else if b.is_transient() {
        EmailEventKind::SoftBounce
    } else {
        // `delivered`, `relayed`, `expanded`: nothing went wrong.
        return Ok(json!({"address": b.recipient, "status": b.status, "action": b.action}));
    };
    let detail = format!(
        "{} {} {}",
        b.action,
        b.status,
        b.diagnostic.as_deref().unwrap_or_default()
    )
    .trim()
    .to_owned();
    let wrong = mismatched(&b.recipient, touch);
    let spaces = if wrong {
        Vec::new()
    } else {
        workspaces(state, &b.recipient, touch).await?
    };
    if spaces.is_empty() {
        record_unlinked(state, fallback_workspace, &b.recipient, &detail, now).await?;
        return Ok(
            json!({"address": b.recipient, "status": b.status, "suppressed": false, "linked": false}),
        );
    }
    let mut suppressed = false;
    for ws in &spaces {
        let linked = touch.filter(|t| &t.workspace == ws);
        // The same report about the same touch again is a replay: answered as the first
        // time, nothing recorded (nor a DNC row removed since written back).
        if let Some(t) = linked
            && !state
                .store
                .record_touch_event_once(
                    &t.id,
                    now,
                    TimelineKind::Delivery,
                    false,
                    Some(kind.as_str()),
                    &detail,
                )
                .await?
        {
            suppressed |= kind == EmailEventKind::HardBounce;
            continue;
        }
        state
            .store
            .record_email_event(
                &EmailEvent {
                    workspace: ws,
                    kind,
                    address: Some(&b.recipient),
                    touch_id: linked.map(|t| t.id.as_str()),
                    account_id: linked.map(|t| t.account_id.as_str()),
                    detail: &detail,
                },
                now,
            )
            .await?;
        if kind == EmailEventKind::HardBounce {
            let wanted = WantedDnc {
                contact: &b.recipient,
                scope: gate::ChannelScope::Only(gate::Channel::Email),
                reason: gate::DncReason::HardBounce,
                source: "delivery_status_notification".to_owned(),
                added_by: "touchgate bounce".to_owned(),
            };
            let (row, created) = ensure_dnc(state, ws, &wanted, now).await?;
            suppressed = true;
            if created {
                info!(workspace = %ws, dnc_id = %row.id, status = %b.status, "hard bounce: address suppressed");
            }
            if let Some(t) = linked {
                health_after_report(state, ws, &t.account_id, now).await?;
            }
        }
    }
    Ok(
        json!({"address": b.recipient, "status": b.status, "suppressed": suppressed, "linked": touch.is_some()}),
    )
}

async fn complaint(
    state: &AppState,
    feedback_type: &str,
    address: Option<&str>,
    touch: Option<&TouchRow>,
    fallback_workspace: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let detail = format!("feedback report: {feedback_type}");
    let Some(address) = address.filter(|a| !mismatched(a, touch)) else {
        record_unlinked(
            state,
            fallback_workspace,
            address.unwrap_or_default(),
            &detail,
            now,
        )
        .await?;
        return Ok(false);
    };
    let spaces = workspaces(state, address, touch).await?;
    if spaces.is_empty() {
        record_unlinked(state, fallback_workspace, address, &detail, now).await?;
        return Ok(false);
    }
    for ws in &spaces {
        let linked = touch.filter(|t| &t.workspace == ws);
        // The same complaint about the same touch again is a replay: nothing recorded.
        if let Some(t) = linked
            && !state
                .store
                .record_touch_event_once(
                    &t.id,
                    now,
                    TimelineKind::Delivery,
                    false,
                    Some("complaint"),
                    &detail,
                )
                .await?
        {
            continue;
        }
        state
            .store
            .record_email_event(
                &EmailEvent {
                    workspace: ws,
                    kind: EmailEventKind::Complaint,
                    address: Some(address),
                    touch_id: linked.map(|t| t.id.as_str()),
                    account_id: linked.map(|t| t.account_id.as_str()),
                    detail: &detail,
                },
                now,
            )
            .await?;
        let wanted = WantedDnc {
            contact: address,
            scope: gate::ChannelScope::All,
            reason: gate::DncReason::Complaint,
            source: "feedback_loop".to_owned(),
            added_by: "touchgate complaint".to_owned(),
        };
        let (row, _) = ensure_dnc(state, ws, &wanted, now).await?;
        info!(workspace = %ws, dnc_id = %row.id, "complaint: contact suppressed on every channel");
        if let Some(t) = linked {
            health_after_report(state, ws, &t.account_id, now).await?;
        }
    }
    Ok(true)
}

async fn record_unlinked(
    state: &AppState,
    ws: &str,
    address: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    state
        .store
        .record_email_event(
            &EmailEvent {
                workspace: ws,
                kind: EmailEventKind::Unlinked,
                address: (!address.is_empty()).then_some(address),
                touch_id: None,
                account_id: None,
                detail,
            },
            now,
        )
        .await
}

/// [`check_health`] for the account a bounce or complaint was linked to.
async fn health_after_report(
    state: &AppState,
    ws: &str,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    check_health(
        &state.store,
        &state.config.deliverability,
        ws,
        account_id,
        now,
    )
    .await
}

/// Computes the account's email rates and pauses its email when one is over its limit. Run
/// after a bounce or complaint, and after each email send (the send that fills the window, or
/// slides it, can put a rate over its limit as much as a report can).
pub async fn check_health(
    store: &Store,
    cfg: &DeliverabilityConfig,
    ws: &str,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rates = store.sender_rates(ws, account_id, cfg.window_sends).await?;
    if rates.sends < i64::from(cfg.window_sends) {
        return Ok(());
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = |n: i64| n as f64 / rates.sends as f64;
    let why = if rate(rates.hard_bounces) > cfg.max_bounce_rate {
        format!(
            "hard-bounce rate {:.2}% over the last {} sends exceeds {:.2}%",
            rate(rates.hard_bounces) * 100.0,
            rates.sends,
            cfg.max_bounce_rate * 100.0
        )
    } else if rate(rates.complaints) > cfg.max_complaint_rate {
        format!(
            "complaint rate {:.2}% over the last {} sends exceeds {:.2}%",
            rate(rates.complaints) * 100.0,
            rates.sends,
            cfg.max_complaint_rate * 100.0
        )
    } else {
        return Ok(());
    };
    if store
        .pause_for_health(ws, account_id, gate::Channel::Email, &why, now)
        .await?
    {
        warn!(
            workspace = ws,
            account_id, why, "sender health: email paused"
        );
        store
            .raise_alert(
                &NewAlert {
                    workspace: ws,
                    kind: "sender_health",
                    contact: None,
                    touch_id: None,
                    detail: &format!("account {account_id}: email paused: {why}"),
                },
                now,
            )
            .await?;
    }
    Ok(())
}
