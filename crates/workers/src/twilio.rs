//! SMS and voice through a Twilio-compatible REST API:
//! `POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json` (form `To`, `From`, `Body`) and
//! `.../Calls.json` (form `To`, `From`, `Url` = the TwiML URL), HTTP basic auth (sid, token).
//!
//! | answer | outcome |
//! | --- | --- |
//! | 2xx with `sid` | `Receipt { provider_message_id: sid }` |
//! | 429 (or code 20429) | `Throttled`, `retry_at` from `Retry-After` (seconds or HTTP date) |
//! | code 21610 (recipient replied STOP) | `Unsubscribed` |
//! | codes 21211, 21217, 21401, 21614, 13223, 13224 | `InvalidRecipient` |
//! | other 4xx | `Rejected { code: "twilio_<code>" \| "http_<status>" }` |
//! | 5xx | `Transient` |
//! | connect error | `Transient` (nothing sent) |
//! | timeout / reset after sending, 2xx without `sid` | `Unknown` (never resent) |

use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use governor::Quota;

use crate::config::{self, ConfigError, TwilioCallConfig, TwilioSmsConfig};
use crate::http::{self, Answer};
use crate::pacing::{self, Pacer};
use crate::secret::{self, Env, Secret};
use crate::{OutboundMessage, Receipt, SendError, Transport};

const PROVIDER: &str = "twilio";

/// Twilio error codes meaning the number cannot receive this message at all.
pub const INVALID_RECIPIENT_CODES: [i64; 6] = [21211, 21217, 21401, 21614, 13223, 13224];
/// "Attempt to send to unsubscribed recipient" (the recipient replied STOP).
pub const UNSUBSCRIBED_CODE: i64 = 21610;

/// A Twilio transport for `sms` (Messages) or `call` (Calls).
pub struct TwilioTransport {
    channel: gate::Channel,
    base_url: String,
    account_sid: String,
    auth_token: Secret,
    from: String,
    twiml_url: Option<String>,
    status_callback_url: Option<String>,
    rate: Option<NonZeroU32>,
    quota_override: Option<Quota>,
    client: reqwest::Client,
    pacer: Pacer,
}

impl std::fmt::Debug for TwilioTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioTransport")
            .field("channel", &self.channel)
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &self.auth_token)
            .field("from", &self.from)
            .field("twiml_url", &self.twiml_url)
            .finish_non_exhaustive()
    }
}

impl TwilioTransport {
    /// The `sms` transport; reads `auth_token_env` now.
    pub fn sms(cfg: &TwilioSmsConfig, env: &dyn Env) -> Result<TwilioTransport, ConfigError> {
        Self::build(
            gate::Channel::Sms,
            &cfg.base_url,
            &cfg.account_sid,
            &cfg.auth_token_env,
            &cfg.from,
            None,
            cfg.status_callback_url.as_deref(),
            cfg.timeout_secs,
            cfg.rate_per_second,
            env,
        )
    }

    /// The `call` transport; reads `auth_token_env` now.
    pub fn call(cfg: &TwilioCallConfig, env: &dyn Env) -> Result<TwilioTransport, ConfigError> {
        if !(cfg.twiml_url.starts_with("https://") || cfg.twiml_url.starts_with("http://")) {
            return Err(ConfigError::invalid(
                gate::Channel::Call,
                "twiml_url must be an http(s) URL",
            ));
        }
        Self::build(
            gate::Channel::Call,
            &cfg.base_url,
            &cfg.account_sid,
            &cfg.auth_token_env,
            &cfg.from,
            Some(cfg.twiml_url.clone()),
            cfg.status_callback_url.as_deref(),
            cfg.timeout_secs,
            Some(cfg.rate_per_second.unwrap_or(pacing::CALLS_PER_SECOND)),
            env,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        channel: gate::Channel,
        base_url: &str,
        account_sid: &str,
        auth_token_env: &str,
        from: &str,
        twiml_url: Option<String>,
        status_callback_url: Option<&str>,
        timeout_secs: Option<u64>,
        rate: Option<NonZeroU32>,
        env: &dyn Env,
    ) -> Result<TwilioTransport, ConfigError> {
        if account_sid.is_empty() || !account_sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ConfigError::invalid(
                channel,
                "account_sid must be alphanumeric",
            ));
        }
        if status_callback_url
            .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
        {
            return Err(ConfigError::invalid(
                channel,
                "status_callback_url must be an http(s) URL",
            ));
        }
        if from.trim().is_empty() {
            return Err(ConfigError::invalid(channel, "from is empty"));
        }
        let auth_token = secret::read(env, "auth_token_env", auth_token_env)?;
        let timeout = config::timeout(timeout_secs, config::DEFAULT_HTTP_TIMEOUT);
        Ok(TwilioTransport {
            channel,
            base_url: base_url.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            auth_token,
            from: from.trim().to_owned(),
            twiml_url,
            status_callback_url: status_callback_url.map(str::to_owned),
            rate,
            quota_override: None,
            client: http::client(channel, timeout)?,
            pacer: Pacer::default(),
        })
    }

    /// Paces every sender with `quota` instead of the per-number-type defaults.
    pub fn with_quota(mut self, quota: Quota) -> TwilioTransport {
        self.quota_override = Some(quota);
        self
    }

    /// The auth token (the daemon verifies `X-Twilio-Signature` with it).
    pub fn auth_token(&self) -> &Secret {
        &self.auth_token
    }

    pub fn channel(&self) -> gate::Channel {
        self.channel
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// The pacing quota of `sender`.
    pub fn quota_for(&self, sender: &str) -> Quota {
        if let Some(q) = self.quota_override {
            return q;
        }
        Pacer::per_second(self.rate.unwrap_or_else(|| pacing::sms_rate(sender)))
    }

    fn url(&self) -> String {
        let resource = match self.channel {
            gate::Channel::Call => "Calls",
            _ => "Messages",
        };
        format!(
            "{}/2010-04-01/Accounts/{}/{resource}.json",
            self.base_url, self.account_sid
        )
    }
}

impl Transport for TwilioTransport {
    async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        permit.authorizes(self.channel, &msg.to, now)?;
        let from = msg.from.as_deref().unwrap_or(&self.from);
        let mut form: Vec<(&str, &str)> = vec![("To", msg.to.as_str())];
        // a Messaging Service sends from its pool of numbers
        if self.channel == gate::Channel::Sms && from.starts_with("MG") {
            form.push(("MessagingServiceSid", from));
        } else {
            form.push(("From", from));
        }
        match (&self.twiml_url, msg.body.as_deref()) {
            (Some(url), _) => form.push(("Url", url)),
            (None, Some(body)) if !body.trim().is_empty() => form.push(("Body", body)),
            (None, _) => {
                return Err(SendError::Rejected {
                    code: Some("empty_body".to_owned()),
                    detail: "an SMS needs a body".to_owned(),
                });
            }
        }
        if let Some(url) = &self.status_callback_url {
            form.push(("StatusCallback", url));
        }
        self.pacer
            .acquire(from, self.quota_for(from), now, permit.expires_at())
            .await?;
        crate::last_check(msg).await?;
        let req = self
            .client
            .post(self.url())
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .form(&form);
        let answer = http::send(PROVIDER, req).await?;
        map_answer(&answer, now)
    }
}

/// Maps a Twilio answer to the send's outcome.
pub(crate) fn map_answer(answer: &Answer, now: DateTime<Utc>) -> Result<Receipt, SendError> {
    let status = answer.status;
    let json = answer.json.as_ref();
    if status.is_success() {
        return match http::str_field(json, "sid") {
            Some(sid) if !sid.is_empty() => Ok(Receipt {
                provider_message_id: sid.to_owned(),
                recorded: None,
            }),
            _ => Err(SendError::Unknown {
                detail: format!("twilio: accepted (HTTP {status}) without a sid"),
            }),
        };
    }
    let code = json
        .and_then(|j| j.get("code"))
        .and_then(serde_json::Value::as_i64);
    let message = http::redact(http::str_field(json, "message").unwrap_or(""));
    let detail = match code {
        Some(c) => format!("twilio error {c} (HTTP {}): {message}", status.as_u16()),
        None => format!("twilio HTTP {}: {message}", status.as_u16()),
    };
    match code {
        Some(UNSUBSCRIBED_CODE) => return Err(SendError::Unsubscribed { detail }),
        Some(c) if INVALID_RECIPIENT_CODES.contains(&c) => {
            return Err(SendError::InvalidRecipient { detail });
        }
        _ => {}
    }
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || code == Some(20429) {
        return Err(SendError::Throttled {
            retry_at: http::retry_after(answer.retry_after.as_deref(), now),
        });
    }
    if status.is_server_error() {
        return Err(SendError::Transient { detail });
    }
    if status.is_client_error() {
        let code = match code {
            Some(c) => format!("twilio_{c}"),
            None => format!("http_{}", status.as_u16()),
        };
        return Err(SendError::Rejected {
            code: Some(code),
            detail,
        });
    }
    Err(SendError::Unknown { detail })
}
