//! WhatsApp through Meta's Cloud API: `POST {base_url}/{phone_number_id}/messages` with a
//! bearer token; a template message when the touch names one, else free-form text.
//!
//! | answer (`error.code`) | outcome |
//! | --- | --- |
//! | 2xx with `messages[0].id` | `Receipt` |
//! | 131047 (24-hour window closed) | `WindowClosed` |
//! | 131049 (per-user marketing limit) | `Throttled`, retry in 24 h |
//! | 131050 (user stopped marketing messages) | `StopMarketing { channel: whatsapp }` |
//! | 132000, 132001, 132015, 132016 (template params / missing / paused / disabled) | `TemplateUnapproved` |
//! | 130429, 131056, 80007, 4, HTTP 429 (rate limits) | `Throttled`, `Retry-After` or 60 s |
//! | 131000, 131016, 1, 2, or HTTP 5xx | `Transient` |
//! | other 4xx | `Rejected { code: "meta_<code>" \| "http_<status>" }` |
//! | connect error | `Transient`; timeout / reset after sending | `Unknown` |

use chrono::{DateTime, Duration, Utc};
use governor::Quota;
use serde_json::json;

use crate::config::{self, ConfigError, MetaConfig};
use crate::http::{self, Answer};
use crate::pacing::{self, Pacer};
use crate::secret::{self, Env, Secret};
use crate::{OutboundMessage, Receipt, SendError, Transport};

const PROVIDER: &str = "meta";

pub const WINDOW_CLOSED_CODE: i64 = 131047;
pub const MARKETING_LIMIT_CODE: i64 = 131049;
pub const STOP_MARKETING_CODE: i64 = 131050;
pub const TEMPLATE_CODES: [i64; 4] = [132000, 132001, 132015, 132016];
pub const RATE_LIMIT_CODES: [i64; 4] = [130429, 131056, 80007, 4];
pub const TRANSIENT_CODES: [i64; 4] = [131000, 131016, 1, 2];

/// How long to back off after a rate-limit answer without `Retry-After`.
pub const RATE_LIMIT_BACKOFF: Duration = Duration::seconds(60);
/// Meta's per-user marketing limit lifts after a day at the earliest.
pub const MARKETING_LIMIT_BACKOFF: Duration = Duration::hours(24);

/// The Meta WhatsApp Cloud API transport.
pub struct MetaWhatsapp {
    base_url: String,
    phone_number_id: String,
    access_token: Secret,
    app_secret: Option<Secret>,
    verify_token: Option<Secret>,
    quota: Quota,
    client: reqwest::Client,
    pacer: Pacer,
}

impl std::fmt::Debug for MetaWhatsapp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaWhatsapp")
            .field("base_url", &self.base_url)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &self.access_token)
            .field("app_secret", &self.app_secret)
            .field("verify_token", &self.verify_token)
            .finish_non_exhaustive()
    }
}

impl MetaWhatsapp {
    /// Reads `access_token_env` (and `app_secret_env`, `verify_token_env` when named) now.
    pub fn new(cfg: &MetaConfig, env: &dyn Env) -> Result<MetaWhatsapp, ConfigError> {
        let channel = gate::Channel::Whatsapp;
        if cfg.phone_number_id.is_empty()
            || !cfg
                .phone_number_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::invalid(
                channel,
                "phone_number_id must be alphanumeric",
            ));
        }
        let timeout = config::timeout(cfg.timeout_secs, config::DEFAULT_HTTP_TIMEOUT);
        Ok(MetaWhatsapp {
            base_url: cfg.base_url.trim_end_matches('/').to_owned(),
            phone_number_id: cfg.phone_number_id.clone(),
            access_token: secret::read(env, "access_token_env", &cfg.access_token_env)?,
            app_secret: secret::read_opt(env, "app_secret_env", cfg.app_secret_env.as_deref())?,
            verify_token: secret::read_opt(
                env,
                "verify_token_env",
                cfg.verify_token_env.as_deref(),
            )?,
            quota: Pacer::per_second(cfg.rate_per_second.unwrap_or(pacing::WHATSAPP_PER_SECOND)),
            client: http::client(channel, timeout)?,
            pacer: Pacer::default(),
        })
    }

    /// Paces the phone number with `quota` instead of the configured rate.
    pub fn with_quota(mut self, quota: Quota) -> MetaWhatsapp {
        self.quota = quota;
        self
    }

    /// Verifies `X-Hub-Signature-256` on webhooks (the daemon's job).
    pub fn app_secret(&self) -> Option<&Secret> {
        self.app_secret.as_ref()
    }

    /// Answers the webhook subscription handshake (the daemon's job).
    pub fn verify_token(&self) -> Option<&Secret> {
        self.verify_token.as_ref()
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// The pacing quota of the sending number.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    pub fn phone_number_id(&self) -> &str {
        &self.phone_number_id
    }
}

/// The JSON body for `msg` (recipient as digits without `+`).
pub(crate) fn body(msg: &OutboundMessage) -> Result<serde_json::Value, SendError> {
    let to = msg.to.trim_start_matches('+');
    if let Some(t) = &msg.template {
        let name =
            t.name
                .as_deref()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| SendError::Rejected {
                    code: Some("invalid_template".to_owned()),
                    detail: "a WhatsApp template needs a name".to_owned(),
                })?;
        let language = t
            .language
            .as_deref()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| SendError::Rejected {
                code: Some("invalid_template".to_owned()),
                detail: format!("WhatsApp template {name} names no language"),
            })?;
        return Ok(json!({
            "messaging_product": "whatsapp",
            "to": to,
            "type": "template",
            "template": {"name": name, "language": {"code": language}},
        }));
    }
    match msg.body.as_deref() {
        Some(text) if !text.trim().is_empty() => Ok(json!({
            "messaging_product": "whatsapp",
            "to": to,
            "type": "text",
            "text": {"body": text},
        })),
        _ => Err(SendError::Rejected {
            code: Some("empty_body".to_owned()),
            detail: "a WhatsApp message needs a template or a body".to_owned(),
        }),
    }
}

impl Transport for MetaWhatsapp {
    async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        permit.authorizes(gate::Channel::Whatsapp, &msg.to, now)?;
        let body = body(msg)?;
        self.pacer
            .acquire(&self.phone_number_id, self.quota, now, permit.expires_at())
            .await?;
        crate::last_check(msg).await?;
        let url = format!("{}/{}/messages", self.base_url, self.phone_number_id);
        let req = self
            .client
            .post(url)
            .bearer_auth(self.access_token.expose())
            .json(&body);
        let answer = http::send(PROVIDER, req).await?;
        map_answer(&answer, now)
    }
}

/// Maps a Cloud API answer to the send's outcome.
pub(crate) fn map_answer(answer: &Answer, now: DateTime<Utc>) -> Result<Receipt, SendError> {
    let status = answer.status;
    let json = answer.json.as_ref();
    if status.is_success() {
        let id = json
            .and_then(|j| j.get("messages"))
            .and_then(|m| m.get(0))
            .and_then(|m| m.get("id"))
            .and_then(serde_json::Value::as_str);
        return match id {
            Some(id) if !id.is_empty() => Ok(Receipt {
                provider_message_id: id.to_owned(),
                recorded: None,
            }),
            _ => Err(SendError::Unknown {
                detail: format!("meta: accepted (HTTP {status}) without messages[0].id"),
            }),
        };
    }
    let error = json.and_then(|j| j.get("error"));
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(serde_json::Value::as_i64);
    let message = error
        .and_then(|e| e.get("error_data"))
        .and_then(|d| d.get("details"))
        .and_then(serde_json::Value::as_str)
        .or_else(|| {
            error
                .and_then(|e| e.get("message"))
                .and_then(serde_json::Value::as_str)
        })
        .unwrap_or("");
    let message = http::redact(message);
    let detail = match code {
        Some(c) => format!("meta error {c} (HTTP {}): {message}", status.as_u16()),
        None => format!("meta HTTP {}: {message}", status.as_u16()),
    };
    let backoff =
        |d: Duration| http::retry_after(answer.retry_after.as_deref(), now).or(Some(now + d));
    match code {
        Some(WINDOW_CLOSED_CODE) => Err(SendError::WindowClosed { detail }),
        Some(MARKETING_LIMIT_CODE) => Err(SendError::Throttled {
            retry_at: Some(now + MARKETING_LIMIT_BACKOFF),
        }),
        Some(STOP_MARKETING_CODE) => Err(SendError::StopMarketing {
            channel: gate::Channel::Whatsapp,
            detail,
        }),
        Some(c) if TEMPLATE_CODES.contains(&c) => Err(SendError::TemplateUnapproved { detail }),
        Some(c) if RATE_LIMIT_CODES.contains(&c) => Err(SendError::Throttled {
            retry_at: backoff(RATE_LIMIT_BACKOFF),
        }),
        _ if status == reqwest::StatusCode::TOO_MANY_REQUESTS => Err(SendError::Throttled {
            retry_at: backoff(RATE_LIMIT_BACKOFF),
        }),
        Some(c) if TRANSIENT_CODES.contains(&c) => Err(SendError::Transient { detail }),
        _ if status.is_server_error() => Err(SendError::Transient { detail }),
        _ if status.is_client_error() => Err(SendError::Rejected {
            code: Some(match code {
                Some(c) => format!("meta_{c}"),
                None => format!("http_{}", status.as_u16()),
            }),
            detail,
        }),
        _ => Err(SendError::Unknown { detail }),
    }
}
