//! The transport of each channel, chosen by `[channels.*]` (sandbox by default), and one
//! `send` that dispatches by the message's channel.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::config::{
    CallConfig, ChannelsConfig, ConfigError, EmailConfig, LinkedinConfig, SmsConfig, WhatsappConfig,
};
use crate::linkedin::LinkedinBridge;
use crate::sandbox::Sandbox;
use crate::secret::{Env, ProcessEnv, Secret};
use crate::smtp::SmtpTransport;
use crate::twilio::TwilioTransport;
use crate::whatsapp::MetaWhatsapp;
use crate::{OutboundMessage, Receipt, SendError, Transport};

/// One channel's transport.
#[derive(Debug)]
pub enum ChannelTransport {
    Sandbox(Sandbox),
    Smtp(Box<SmtpTransport>),
    Twilio(Box<TwilioTransport>),
    Meta(Box<MetaWhatsapp>),
    Bridge(Box<LinkedinBridge>),
}

impl ChannelTransport {
    /// The config name of the transport (`sandbox`, `smtp`, `twilio`, `meta`, `bridge`).
    pub fn name(&self) -> &'static str {
        match self {
            ChannelTransport::Sandbox(_) => "sandbox",
            ChannelTransport::Smtp(_) => "smtp",
            ChannelTransport::Twilio(_) => "twilio",
            ChannelTransport::Meta(_) => "meta",
            ChannelTransport::Bridge(_) => "bridge",
        }
    }
}

impl Transport for ChannelTransport {
    async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        match self {
            ChannelTransport::Sandbox(t) => t.send(permit, msg, now).await,
            ChannelTransport::Smtp(t) => t.send(permit, msg, now).await,
            ChannelTransport::Twilio(t) => t.send(permit, msg, now).await,
            ChannelTransport::Meta(t) => t.send(permit, msg, now).await,
            ChannelTransport::Bridge(t) => t.send(permit, msg, now).await,
        }
    }
}

/// Every channel's transport. `Default` is the sandbox everywhere.
#[derive(Debug)]
pub struct Transports {
    email: ChannelTransport,
    sms: ChannelTransport,
    call: ChannelTransport,
    linkedin: ChannelTransport,
    whatsapp: ChannelTransport,
}

impl Default for Transports {
    fn default() -> Self {
        Transports {
            email: ChannelTransport::Sandbox(Sandbox),
            sms: ChannelTransport::Sandbox(Sandbox),
            call: ChannelTransport::Sandbox(Sandbox),
            linkedin: ChannelTransport::Sandbox(Sandbox),
            whatsapp: ChannelTransport::Sandbox(Sandbox),
        }
    }
}

/// The secrets the daemon's webhooks verify with, read from the transports' config.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookSecrets<'a> {
    /// Twilio auth token (`X-Twilio-Signature`), from sms, else call.
    pub twilio_auth_token: Option<&'a Secret>,
    /// Meta app secret (`X-Hub-Signature-256`).
    pub whatsapp_app_secret: Option<&'a Secret>,
    /// Meta subscription handshake token.
    pub whatsapp_verify_token: Option<&'a Secret>,
}

impl Transports {
    /// The sandbox on every channel.
    pub fn sandbox() -> Transports {
        Transports::default()
    }

    /// Builds from the `[channels]` tables, reading secrets from the process environment.
    pub fn from_config(tables: &BTreeMap<String, toml::Value>) -> Result<Transports, ConfigError> {
        Self::from_config_with_env(tables, &ProcessEnv)
    }

    /// Builds from the `[channels]` tables, reading secrets through `env`.
    pub fn from_config_with_env(
        tables: &BTreeMap<String, toml::Value>,
        env: &dyn Env,
    ) -> Result<Transports, ConfigError> {
        Self::from_channels(&ChannelsConfig::from_tables(tables)?, env)
    }

    /// Builds from parsed config (e.g. a `ChannelsConfig` field of the daemon's config).
    pub fn from_channels(cfg: &ChannelsConfig, env: &dyn Env) -> Result<Transports, ConfigError> {
        let sandbox = || ChannelTransport::Sandbox(Sandbox);
        Ok(Transports {
            email: match &cfg.email {
                EmailConfig::Sandbox(_) => sandbox(),
                EmailConfig::Smtp(c) => {
                    ChannelTransport::Smtp(Box::new(SmtpTransport::new(c, env)?))
                }
            },
            sms: match &cfg.sms {
                SmsConfig::Sandbox(_) => sandbox(),
                SmsConfig::Twilio(c) => {
                    ChannelTransport::Twilio(Box::new(TwilioTransport::sms(c, env)?))
                }
            },
            call: match &cfg.call {
                CallConfig::Sandbox(_) => sandbox(),
                CallConfig::Twilio(c) => {
                    ChannelTransport::Twilio(Box::new(TwilioTransport::call(c, env)?))
                }
            },
            linkedin: match &cfg.linkedin {
                LinkedinConfig::Sandbox(_) => sandbox(),
                LinkedinConfig::Bridge(c) => {
                    ChannelTransport::Bridge(Box::new(LinkedinBridge::new(c, env)?))
                }
            },
            whatsapp: match &cfg.whatsapp {
                WhatsappConfig::Sandbox(_) => sandbox(),
                WhatsappConfig::Meta(c) => {
                    ChannelTransport::Meta(Box::new(MetaWhatsapp::new(c, env)?))
                }
            },
        })
    }

    /// Replaces one channel's transport (tests, or a daemon wiring its own).
    pub fn with(mut self, channel: gate::Channel, transport: ChannelTransport) -> Transports {
        *self.slot(channel) = transport;
        self
    }

    fn slot(&mut self, channel: gate::Channel) -> &mut ChannelTransport {
        match channel {
            gate::Channel::Email => &mut self.email,
            gate::Channel::Sms => &mut self.sms,
            gate::Channel::Call => &mut self.call,
            gate::Channel::Linkedin => &mut self.linkedin,
            gate::Channel::Whatsapp => &mut self.whatsapp,
        }
    }

    /// The transport of `channel`.
    pub fn get(&self, channel: gate::Channel) -> &ChannelTransport {
        match channel {
            gate::Channel::Email => &self.email,
            gate::Channel::Sms => &self.sms,
            gate::Channel::Call => &self.call,
            gate::Channel::Linkedin => &self.linkedin,
            gate::Channel::Whatsapp => &self.whatsapp,
        }
    }

    /// Channel → transport name, for the start-up log.
    pub fn describe(&self) -> BTreeMap<gate::Channel, &'static str> {
        gate::Channel::ALL
            .into_iter()
            .map(|c| (c, self.get(c).name()))
            .collect()
    }

    /// The email transport's DKIM identity (signing domain, selector, public key), when it
    /// signs: what the DNS selector record must publish.
    pub fn email_dkim(&self) -> Option<&crate::dkim::DkimIdentity> {
        match &self.email {
            ChannelTransport::Smtp(t) => t.dkim_identity(),
            _ => None,
        }
    }

    /// The email transport's configured `from` address, when it is SMTP.
    pub fn email_from(&self) -> Option<String> {
        match &self.email {
            ChannelTransport::Smtp(t) => Some(t.from_address()),
            _ => None,
        }
    }

    /// The secrets the daemon's provider webhooks verify with.
    pub fn webhook_secrets(&self) -> WebhookSecrets<'_> {
        fn twilio(t: &ChannelTransport) -> Option<&Secret> {
            match t {
                ChannelTransport::Twilio(t) => Some(t.auth_token()),
                _ => None,
            }
        }
        let meta = match &self.whatsapp {
            ChannelTransport::Meta(m) => Some(m),
            _ => None,
        };
        WebhookSecrets {
            twilio_auth_token: twilio(&self.sms).or_else(|| twilio(&self.call)),
            whatsapp_app_secret: meta.and_then(|m| m.app_secret()),
            whatsapp_verify_token: meta.and_then(|m| m.verify_token()),
        }
    }

    /// Sends `msg` on its channel's transport (which checks the permit before any I/O).
    pub async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        self.get(msg.channel).send(permit, msg, now).await
    }
}

impl Transport for Transports {
    async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        Transports::send(self, permit, msg, now).await
    }
}
