//! Alert delivery: every alert (a litigation hold hit by a dispatch decision or a check) is
//! POSTed as JSON to `[alerts] webhook_url`, signed like the other webhooks
//! (`X-Touchgate-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, the secret of
//! `[webhooks] secret_env`), and retried with backoff for 24 hours. Alerts are listed at
//! `GET /v1/alerts` whether or not they were delivered.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::{debug, warn};

use crate::app::AppState;
use crate::store::AlertRow;

/// How long delivery of one alert is tried.
pub const DELIVERY_WINDOW: chrono::Duration = chrono::Duration::hours(24);
/// How often the delivery loop looks for alerts due.
pub const POLL: Duration = Duration::from_secs(1);

/// `[alerts]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Where alerts are POSTed (none: listed only).
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// Backoff after `attempts` failed deliveries: 30 s, 1 min, 2 min … capped at 1 h.
fn backoff(attempts: i64) -> chrono::Duration {
    crate::dispatch::backoff(attempts)
}

/// The JSON an alert is delivered as.
pub fn payload(a: &AlertRow) -> serde_json::Value {
    serde_json::json!({
        "id": a.id,
        "workspace": a.workspace,
        "kind": a.kind,
        "at": crate::domain::time::format_instant(&a.at),
        "contact": a.contact,
        "touch_id": a.touch_id,
        "detail": a.detail,
        "decisions": a.decisions,
    })
}

/// Delivers the alerts that are due, forever.
pub async fn delivery_loop(state: AppState) {
    let Some(url) = state.config.alerts.webhook_url.clone() else {
        return;
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %crate::logging::chain(&e), "alert delivery disabled: no HTTP client");
            return;
        }
    };
    loop {
        tokio::time::sleep(POLL).await;
        let now = state.clock.now();
        let due = match state.store.alerts_to_deliver(now, 50).await {
            Ok(d) => d,
            Err(e) => {
                warn!(error = %crate::logging::chain(&e), "cannot read the alerts due");
                continue;
            }
        };
        for alert in due {
            let outcome = deliver(&state, &client, &url, &alert).await;
            let now = state.clock.now();
            let recorded = match outcome {
                Ok(()) => state.store.alert_attempted(&alert.id, now, Ok(())).await,
                Err(why) => {
                    let retry_at = retry_at(&alert, now);
                    if retry_at.is_none() {
                        warn!(alert_id = %alert.id, error = %why, "alert not delivered within 24 hours; giving up");
                    }
                    state
                        .store
                        .alert_attempted(&alert.id, now, Err((&why, retry_at)))
                        .await
                }
            };
            if let Err(e) = recorded {
                warn!(error = %crate::logging::chain(&e), "cannot record an alert delivery");
            }
        }
    }
}

/// When to try again after a failure (`None`: the 24 hours are over).
fn retry_at(alert: &AlertRow, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let next = now.checked_add_signed(backoff(alert.attempts))?;
    (next < alert.at.checked_add_signed(DELIVERY_WINDOW)?).then_some(next)
}

async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    url: &str,
    alert: &AlertRow,
) -> Result<(), String> {
    let Some(secret) = &state.webhook_secret else {
        return Err("no [webhooks] secret_env to sign alerts with".to_owned());
    };
    let body = payload(alert).to_string();
    let signature = crate::signing::sha256_signature(secret.expose().as_bytes(), body.as_bytes());
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-touchgate-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if res.status().is_success() {
        debug!(alert_id = %alert.id, "alert delivered");
        Ok(())
    } else {
        Err(format!("the receiver answered {}", res.status()))
    }
}
