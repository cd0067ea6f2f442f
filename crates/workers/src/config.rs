//! The `[channels.*]` tables of the TOML config (see `api.md`, "Transports"). Each table names
//! its `transport`; a channel without a table uses the sandbox. Secrets appear only as the
//! names of environment variables (`*_env`), read when the transport is built.
//!
//! ```toml
//! [channels.email]
//! transport = "smtp"          # "sandbox" (default) | "smtp"
//! host = "127.0.0.1"
//! port = 2525
//! tls = "none"                # "none" | "starttls" | "tls"
//! from = "SDR Team <sdr@acme.example>"
//! # ca_file = "/etc/touchgate/relay-ca.pem"   # extra CA for the server's certificate
//! # dkim = {domain = "acme.example", selector = "tg1", private_key_env = "DKIM_KEY"}
//! ```

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default request timeout of the HTTP transports.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(15);
/// Default timeout of each SMTP exchange (connect, one command, the message).
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Default pacing budget: a send waits at most this long for its sender's rate limit before
/// giving up with `Throttled` (never longer than the permit's remaining life).
pub const DEFAULT_MAX_PACING_WAIT: Duration = Duration::from_secs(10);

/// Why the transports could not be built from the config.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown channel `{0}` under [channels] (email, sms, call, linkedin, whatsapp)")]
    UnknownChannel(String),
    #[error("[channels.{channel}]: {message}")]
    Invalid { channel: String, message: String },
    /// The environment variable a `*_env` key names is unset or empty.
    #[error("environment variable `{var}` (named by `{key}`) is not set")]
    MissingEnv { key: &'static str, var: String },
    #[error("[channels.{channel}]: cannot build the client: {detail}")]
    Client { channel: String, detail: String },
}

impl ConfigError {
    pub(crate) fn invalid(channel: gate::Channel, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            channel: channel.as_str().to_owned(),
            message: message.into(),
        }
    }
}

/// A channel table with nothing but `transport = "sandbox"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxConfig {}

/// `[channels.email]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
// Parsed once at start: the size of the SMTP variant costs nothing worth a Box in the API.
#[allow(clippy::large_enum_variant)]
pub enum EmailConfig {
    Sandbox(SandboxConfig),
    Smtp(SmtpConfig),
}

/// `[channels.sms]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum SmsConfig {
    Sandbox(SandboxConfig),
    Twilio(TwilioSmsConfig),
}

/// `[channels.call]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum CallConfig {
    Sandbox(SandboxConfig),
    Twilio(TwilioCallConfig),
}

/// `[channels.whatsapp]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum WhatsappConfig {
    Sandbox(SandboxConfig),
    Meta(MetaConfig),
}

/// `[channels.linkedin]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum LinkedinConfig {
    Sandbox(SandboxConfig),
    Bridge(BridgeConfig),
}

macro_rules! sandbox_default {
    ($($t:ty),*) => {$(
        impl Default for $t {
            fn default() -> Self {
                <$t>::Sandbox(SandboxConfig {})
            }
        }
    )*};
}
sandbox_default!(
    EmailConfig,
    SmsConfig,
    CallConfig,
    WhatsappConfig,
    LinkedinConfig
);

/// TLS on the SMTP connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text (a local relay or a test server only).
    None,
    /// Plain connect, then STARTTLS (required: the send fails if the server does not offer it).
    #[default]
    Starttls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
}

/// `transport = "smtp"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default: 25 with `tls = "none"`, 587 with `starttls`, 465 with `tls`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// Both or neither of `username_env` and `password_env`.
    #[serde(default)]
    pub username_env: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    /// Default sender mailbox (`Name <addr>` or `addr`); an account's own sender overrides it.
    pub from: String,
    /// EHLO name; default: this host's name.
    #[serde(default)]
    pub hello_name: Option<String>,
    /// Timeout of each SMTP exchange, in seconds (default 30).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Messages per second per sending mailbox (default 10).
    #[serde(default)]
    pub rate_per_second: Option<NonZeroU32>,
    /// Idle connections kept open for reuse (default 4; 0 disables reuse).
    #[serde(default)]
    pub pool_size: Option<usize>,
    /// Refuse (before any I/O) a message that carries no one-click unsubscribe URL
    /// (default true: CAN-SPAM and the Gmail / Yahoo bulk-sender rules want one).
    #[serde(default = "yes")]
    pub require_unsubscribe_url: bool,
    /// A PEM file of CA certificates trusted for the server's certificate, in addition to the
    /// public roots (a private relay with its own CA). Read when the transport is built; only
    /// with `tls = "starttls"` or `"tls"`. There is deliberately no switch that accepts a
    /// certificate that does not verify: trust its CA here instead.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// DKIM-sign every message (RFC 6376); see [`DkimConfig`].
    #[serde(default)]
    pub dkim: Option<DkimConfig>,
}

/// `dkim = {domain = "acme.example", selector = "tg1", private_key_env = "DKIM_KEY"}` on
/// `[channels.email]`. The variable holds a PEM private key: RSA as PKCS#1
/// (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`, what `openssl genrsa` writes on
/// OpenSSL 3), or Ed25519 as PKCS#8. The key type picks the algorithm (`rsa-sha256` or
/// `ed25519-sha256`); the public key is published at `{selector}._domainkey.{domain}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimConfig {
    /// The signing domain (`d=`); DMARC wants it aligned with the From domain.
    pub domain: String,
    /// The selector (`s=`).
    pub selector: String,
    pub private_key_env: String,
}

fn yes() -> bool {
    true
}

/// `transport = "twilio"` on `[channels.sms]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSmsConfig {
    /// Default `https://api.twilio.com`.
    #[serde(default = "twilio_base_url")]
    pub base_url: String,
    pub account_sid: String,
    pub auth_token_env: String,
    /// Default sender: an E.164 number, a short code, or a Messaging Service SID (`MG…`).
    pub from: String,
    /// Request timeout in seconds (default 15).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Messages per second per sender; default by number type: long code 1, toll-free 3,
    /// short code 100.
    #[serde(default)]
    pub rate_per_second: Option<NonZeroU32>,
    /// Sent as `StatusCallback` so Twilio posts delivery statuses to the daemon (e.g.
    /// `{public_base_url}/v1/webhooks/twilio/sms`); none when absent.
    #[serde(default)]
    pub status_callback_url: Option<String>,
}

/// `transport = "twilio"` on `[channels.call]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioCallConfig {
    #[serde(default = "twilio_base_url")]
    pub base_url: String,
    pub account_sid: String,
    pub auth_token_env: String,
    pub from: String,
    /// The TwiML the call plays (Twilio fetches it when the callee answers).
    pub twiml_url: String,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Calls per second per caller id (default 1, Twilio's default CPS).
    #[serde(default)]
    pub rate_per_second: Option<NonZeroU32>,
    /// Sent as `StatusCallback` (call progress events); none when absent.
    #[serde(default)]
    pub status_callback_url: Option<String>,
}

fn twilio_base_url() -> String {
    "https://api.twilio.com".to_owned()
}

/// `transport = "meta"` on `[channels.whatsapp]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    /// Graph API base with its version, default `https://graph.facebook.com/v21.0`.
    #[serde(default = "meta_base_url")]
    pub base_url: String,
    pub phone_number_id: String,
    pub access_token_env: String,
    /// Verifies `X-Hub-Signature-256` on webhooks (used by the daemon, not for sending).
    #[serde(default)]
    pub app_secret_env: Option<String>,
    /// Answers the webhook subscription handshake (used by the daemon).
    #[serde(default)]
    pub verify_token_env: Option<String>,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Messages per second per phone number id (default 80).
    #[serde(default)]
    pub rate_per_second: Option<NonZeroU32>,
}

fn meta_base_url() -> String {
    "https://graph.facebook.com/v21.0".to_owned()
}

/// `transport = "bridge"` on `[channels.linkedin]` (a Unipile-style HTTP bridge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeConfig {
    pub base_url: String,
    pub api_key_env: String,
    /// The bridge's id of the LinkedIn seat that sends, sent as `account_id` (an account's own
    /// sender overrides it); omitted from requests when neither is set.
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// All of `[channels]`; an absent table is the sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    pub email: EmailConfig,
    pub sms: SmsConfig,
    pub call: CallConfig,
    pub linkedin: LinkedinConfig,
    pub whatsapp: WhatsappConfig,
}

impl ChannelsConfig {
    /// Parses the `[channels]` tables, each keyed by channel name. A table without
    /// `transport` is the sandbox (and then may hold no other key).
    pub fn from_tables(tables: &BTreeMap<String, toml::Value>) -> Result<Self, ConfigError> {
        let mut out = ChannelsConfig::default();
        for (name, value) in tables {
            let channel: gate::Channel = name
                .parse()
                .map_err(|_| ConfigError::UnknownChannel(name.clone()))?;
            let mut value = value.clone();
            if let toml::Value::Table(t) = &mut value {
                t.entry("transport")
                    .or_insert_with(|| toml::Value::String("sandbox".to_owned()));
            }
            let bad = |e: toml::de::Error| ConfigError::invalid(channel, e.message().to_owned());
            match channel {
                gate::Channel::Email => out.email = value.try_into().map_err(bad)?,
                gate::Channel::Sms => out.sms = value.try_into().map_err(bad)?,
                gate::Channel::Call => out.call = value.try_into().map_err(bad)?,
                gate::Channel::Linkedin => out.linkedin = value.try_into().map_err(bad)?,
                gate::Channel::Whatsapp => out.whatsapp = value.try_into().map_err(bad)?,
            }
        }
        Ok(out)
    }
}

/// A timeout in whole seconds from the config, or the default; zero means the default.
pub(crate) fn timeout(secs: Option<u64>, default: Duration) -> Duration {
    match secs {
        Some(s) if s > 0 => Duration::from_secs(s),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(src: &str) -> BTreeMap<String, toml::Value> {
        let v: toml::Table = toml::from_str(src).unwrap();
        v.into_iter().collect()
    }

    #[test]
    fn api_md_example_parses() {
        let cfg = ChannelsConfig::from_tables(&tables(
            r#"
            [email]
            transport = "smtp"
            host = "127.0.0.1"
            port = 2525
            tls = "none"
            username_env = "SMTP_USER"
            password_env = "SMTP_PASSWORD"
            from = "SDR Team <sdr@acme.example>"

            [sms]
            transport = "twilio"
            base_url = "https://api.twilio.com"
            account_sid = "AC0123456789abcdef0123456789abcdef"
            auth_token_env = "TWILIO_AUTH_TOKEN"
            from = "+14155550100"

            [call]
            transport = "twilio"
            base_url = "https://api.twilio.com"
            account_sid = "AC0123456789abcdef0123456789abcdef"
            auth_token_env = "TWILIO_AUTH_TOKEN"
            from = "+14155550100"
            twiml_url = "https://touchgate.acme.example/twiml/call.xml"

            [whatsapp]
            transport = "meta"
            base_url = "https://graph.facebook.com/v21.0"
            phone_number_id = "1234567890"
            access_token_env = "WHATSAPP_TOKEN"
            app_secret_env = "WHATSAPP_APP_SECRET"
            verify_token_env = "WHATSAPP_VERIFY_TOKEN"

            [linkedin]
            transport = "bridge"
            base_url = "https://bridge.example"
            api_key_env = "LINKEDIN_BRIDGE_KEY"
            "#,
        ))
        .unwrap();
        let EmailConfig::Smtp(smtp) = &cfg.email else {
            panic!("{cfg:?}")
        };
        assert_eq!(smtp.port, Some(2525));
        assert_eq!(smtp.tls, SmtpTls::None);
        assert!(smtp.require_unsubscribe_url);
        assert!(matches!(cfg.sms, SmsConfig::Twilio(_)));
        let CallConfig::Twilio(call) = &cfg.call else {
            panic!("{cfg:?}")
        };
        assert_eq!(
            call.twiml_url,
            "https://touchgate.acme.example/twiml/call.xml"
        );
        assert!(matches!(cfg.whatsapp, WhatsappConfig::Meta(_)));
        assert!(matches!(cfg.linkedin, LinkedinConfig::Bridge(_)));
    }

    #[test]
    fn absent_tables_and_bare_tables_are_sandbox() {
        let cfg = ChannelsConfig::from_tables(&tables("[sms]\n")).unwrap();
        assert_eq!(cfg, ChannelsConfig::default());
        let cfg = ChannelsConfig::from_tables(&tables("[sms]\ntransport = \"sandbox\"\n")).unwrap();
        assert_eq!(cfg, ChannelsConfig::default());
    }

    #[test]
    fn unknown_keys_channels_and_transports_are_rejected() {
        // a Twilio key on a sandbox table
        let err = ChannelsConfig::from_tables(&tables("[sms]\nfrom = \"+14155550100\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sms") && err.contains("from"), "{err}");
        // twiml_url belongs to call only
        let err = ChannelsConfig::from_tables(&tables(
            "[sms]\ntransport = \"twilio\"\naccount_sid = \"AC1\"\nauth_token_env = \"T\"\nfrom = \"+14155550100\"\ntwiml_url = \"https://x\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("twiml_url"), "{err}");
        // a transport of another channel
        let err = ChannelsConfig::from_tables(&tables("[email]\ntransport = \"twilio\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("email") && err.contains("twilio"), "{err}");
        let err =
            ChannelsConfig::from_tables(&tables("[fax]\ntransport = \"sandbox\"\n")).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownChannel(ref c) if c == "fax"));
        // misspelt key
        let err = ChannelsConfig::from_tables(&tables(
            "[linkedin]\ntransport = \"bridge\"\nbase_url = \"https://b\"\napi_key = \"inline\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("api_key"), "{err}");
    }

    #[test]
    fn dkim_and_ca_file_parse_and_unknown_dkim_keys_are_rejected() {
        let smtp = "[email]\ntransport = \"smtp\"\nhost = \"smtp.acme.example\"\nfrom = \"sdr@acme.example\"\n";
        let cfg = ChannelsConfig::from_tables(&tables(&format!(
            "{smtp}ca_file = \"/etc/tg/ca.pem\"\ndkim = {{domain = \"acme.example\", selector = \"tg1\", private_key_env = \"DKIM_KEY\"}}\n"
        )))
        .unwrap();
        let EmailConfig::Smtp(smtp_cfg) = &cfg.email else {
            panic!("{cfg:?}")
        };
        assert_eq!(
            smtp_cfg.dkim,
            Some(DkimConfig {
                domain: "acme.example".to_owned(),
                selector: "tg1".to_owned(),
                private_key_env: "DKIM_KEY".to_owned(),
            })
        );
        assert_eq!(
            smtp_cfg.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/tg/ca.pem"))
        );
        // defaults: no DKIM, no extra CA
        let cfg = ChannelsConfig::from_tables(&tables(smtp)).unwrap();
        let EmailConfig::Smtp(smtp_cfg) = &cfg.email else {
            panic!("{cfg:?}")
        };
        assert_eq!((&smtp_cfg.dkim, &smtp_cfg.ca_file), (&None, &None));
        // a key inline instead of through the environment, and a missing selector
        let err = ChannelsConfig::from_tables(&tables(&format!(
            "{smtp}dkim = {{domain = \"acme.example\", selector = \"tg1\", private_key = \"-----BEGIN\"}}\n"
        )))
        .unwrap_err()
        .to_string();
        assert!(err.contains("private_key"), "{err}");
        let err = ChannelsConfig::from_tables(&tables(&format!(
            "{smtp}dkim = {{domain = \"acme.example\", private_key_env = \"K\"}}\n"
        )))
        .unwrap_err()
        .to_string();
        assert!(err.contains("selector"), "{err}");
    }

    #[test]
    fn embeds_in_a_larger_config() {
        #[derive(Deserialize)]
        struct Daemon {
            #[serde(default)]
            channels: ChannelsConfig,
        }
        let d: Daemon = toml::from_str(
            "[channels.linkedin]\ntransport = \"bridge\"\nbase_url = \"https://b\"\napi_key_env = \"K\"\n",
        )
        .unwrap();
        assert!(matches!(d.channels.linkedin, LinkedinConfig::Bridge(_)));
        assert!(matches!(d.channels.email, EmailConfig::Sandbox(_)));
        let d: Daemon = toml::from_str("").unwrap();
        assert_eq!(d.channels, ChannelsConfig::default());
    }
}
