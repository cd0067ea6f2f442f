//! LinkedIn through an HTTP bridge (Unipile style), header `X-API-KEY`:
//! - invitation: `POST {base_url}/api/v1/users/invite`, JSON
//!   `{"provider_id": <recipient>, "message": <body>?, "account_id": <seat>?}`;
//! - message: `POST {base_url}/api/v1/chats`, JSON
//!   `{"attendees_ids": [<recipient>], "text": <body>, "account_id": <seat>?}`.
//!
//! The recipient is the permit's canonical LinkedIn id: a URN (`urn:li:fsd_profile:ACoAA…`)
//! goes as its id (`ACoAA…`), a public slug (`in:ana-b`) as the slug.
//!
//! | answer | outcome |
//! | --- | --- |
//! | 2xx | `Receipt` (`message_id`, else `invitation_id`, `chat_id`, `id`) |
//! | 429 | `Throttled`, `retry_at` from `Retry-After` |
//! | 5xx | `Transient` |
//! | other 4xx | `Rejected { code: <body "type"> \| "http_<status>" }` |
//! | connect error | `Transient`; timeout / reset after sending | `Unknown` |

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::{self, BridgeConfig, ConfigError};
use crate::http::{self, Answer};
use crate::secret::{self, Env, Secret};
use crate::{OutboundMessage, Receipt, SendError, Transport};

const PROVIDER: &str = "linkedin bridge";

/// The LinkedIn bridge transport.
pub struct LinkedinBridge {
    base_url: String,
    api_key: Secret,
    account_id: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for LinkedinBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkedinBridge")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// The bridge's id for a canonical LinkedIn id: a URN's last segment, a slug as is.
pub fn provider_id(recipient: &str) -> &str {
    if let Some(rest) = recipient.strip_prefix("urn:li:") {
        return rest.split_once(':').map_or(rest, |(_, id)| id);
    }
    recipient.strip_prefix("in:").unwrap_or(recipient)
}

impl LinkedinBridge {
    /// Reads `api_key_env` now.
    pub fn new(cfg: &BridgeConfig, env: &dyn Env) -> Result<LinkedinBridge, ConfigError> {
        let channel = gate::Channel::Linkedin;
        if !(cfg.base_url.starts_with("https://") || cfg.base_url.starts_with("http://")) {
            return Err(ConfigError::invalid(
                channel,
                "base_url must be an http(s) URL",
            ));
        }
        let timeout = config::timeout(cfg.timeout_secs, config::DEFAULT_HTTP_TIMEOUT);
        Ok(LinkedinBridge {
            base_url: cfg.base_url.trim_end_matches('/').to_owned(),
            api_key: secret::read(env, "api_key_env", &cfg.api_key_env)?,
            account_id: cfg.account_id.clone(),
            client: http::client(channel, timeout)?,
        })
    }
}

impl Transport for LinkedinBridge {
    async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        permit.authorizes(gate::Channel::Linkedin, &msg.to, now)?;
        crate::last_check(msg).await?;
        let recipient = provider_id(&msg.to);
        let account_id = msg.from.as_deref().or(self.account_id.as_deref());
        let text = msg.body.as_deref().filter(|b| !b.trim().is_empty());
        let (path, mut body) = match msg.linkedin_action.unwrap_or_default() {
            gate::LinkedInAction::Invite => {
                let mut body = json!({ "provider_id": recipient });
                if let (Some(text), Some(obj)) = (text, body.as_object_mut()) {
                    obj.insert("message".to_owned(), json!(text));
                }
                ("/api/v1/users/invite", body)
            }
            gate::LinkedInAction::Message => {
                let Some(text) = text else {
                    return Err(SendError::Rejected {
                        code: Some("empty_body".to_owned()),
                        detail: "a LinkedIn message needs a body".to_owned(),
                    });
                };
                (
                    "/api/v1/chats",
                    json!({ "attendees_ids": [recipient], "text": text }),
                )
            }
        };
        if let (Some(account), Some(obj)) = (account_id, body.as_object_mut()) {
            obj.insert("account_id".to_owned(), json!(account));
        }
        let req = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("X-API-KEY", self.api_key.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body);
        let answer = http::send(PROVIDER, req).await?;
        map_answer(&answer, now)
    }
}

/// Maps a bridge answer to the send's outcome.
pub(crate) fn map_answer(answer: &Answer, now: DateTime<Utc>) -> Result<Receipt, SendError> {
    let status = answer.status;
    let json = answer.json.as_ref();
    if status.is_success() {
        let id = ["message_id", "invitation_id", "chat_id", "id"]
            .into_iter()
            .find_map(|k| http::str_field(json, k).filter(|v| !v.is_empty()));
        return match id {
            Some(id) => Ok(Receipt {
                provider_message_id: id.to_owned(),
                recorded: None,
            }),
            None => Err(SendError::Unknown {
                detail: format!("linkedin bridge: accepted (HTTP {status}) without an id"),
            }),
        };
    }
    let kind = http::str_field(json, "type");
    let message = http::str_field(json, "detail")
        .or_else(|| http::str_field(json, "title"))
        .or_else(|| http::str_field(json, "message"))
        .unwrap_or("");
    let detail = format!(
        "linkedin bridge HTTP {}{}: {}",
        status.as_u16(),
        kind.map(|k| format!(" {k}")).unwrap_or_default(),
        http::redact(message)
    );
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(SendError::Throttled {
            retry_at: http::retry_after(answer.retry_after.as_deref(), now),
        });
    }
    if status.is_server_error() {
        return Err(SendError::Transient { detail });
    }
    if status.is_client_error() {
        return Err(SendError::Rejected {
            code: Some(kind.map_or_else(|| format!("http_{}", status.as_u16()), str::to_owned)),
            detail,
        });
    }
    Err(SendError::Unknown { detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids() {
        assert_eq!(provider_id("urn:li:fsd_profile:ACoAAB1cD"), "ACoAAB1cD");
        assert_eq!(provider_id("urn:li:member:123"), "123");
        assert_eq!(provider_id("in:ana-b"), "ana-b");
    }
}
