//! Configuration: the TOML file (`TOUCHGATE_CONFIG`, default `config/touchgate.toml` when
//! present) with environment overrides (env wins). Secrets are named by `*_env` keys, never
//! inline, and never logged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is invalid")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub database_url: Option<String>,
    #[serde(default)]
    pub listen: Option<String>,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub dispatcher: DispatcherConfig,
    #[serde(default)]
    pub workspace_defaults: WorkspaceConfig,
    /// Per-workspace overrides of `workspace_defaults`.
    #[serde(default)]
    pub workspaces: BTreeMap<String, WorkspaceConfig>,
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    #[serde(default)]
    pub webhooks: WebhooksConfig,
    /// The one message confirming an SMS or WhatsApp opt-out.
    #[serde(default)]
    pub opt_out_confirmation: OptOutConfirmationConfig,
    #[serde(default)]
    pub registries: RegistriesConfig,
    #[serde(default)]
    pub whatsapp: WhatsappConfig,
    #[serde(default)]
    pub alerts: crate::alerts::AlertsConfig,
    #[serde(default)]
    pub deliverability: DeliverabilityConfig,
    #[serde(default)]
    pub retention: RetentionConfig,
    #[serde(default)]
    pub channels: BTreeMap<String, toml::Value>,
    /// `[metrics]`: where `/metrics` is served (installation-wide figures, so not on the
    /// public API).
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// `[console]`: the operator console's sessions.
    #[serde(default)]
    pub console: ConsoleConfig,
    /// Every workspace's settings, built once from this configuration on first use.
    #[serde(skip)]
    settings: std::sync::OnceLock<Settings>,
    /// Where the file was read from and the SHA-256 of its text (`None`: no file, defaults):
    /// a daemon that starts on a changed file records the change in the audit chain.
    #[serde(skip)]
    pub source: Option<(PathBuf, String)>,
}

/// The resolved settings of the configured workspaces, and of every other workspace.
#[derive(Debug, Clone)]
struct Settings {
    named: BTreeMap<String, std::sync::Arc<WorkspaceSettings>>,
    others: std::sync::Arc<WorkspaceSettings>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default)]
    pub public_base_url: Option<String>,
    /// Largest accepted request body, bytes (default 1 MiB).
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// A connection's whole request head within this (an idle keep-alive connection is
    /// closed after it too). Default 10 000.
    #[serde(default)]
    pub header_timeout_ms: Option<u64>,
    /// The longest pause between two reads of a request body. Default 10 000.
    #[serde(default)]
    pub body_timeout_ms: Option<u64>,
    /// A whole request, body and answer (streamed imports and scrubs excepted). Default 60 000.
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// Open connections at most (one more is closed at once). Default 1 024.
    #[serde(default)]
    pub max_connections: Option<usize>,
    /// Open connections from one address at most. Default 256.
    #[serde(default)]
    pub max_connections_per_ip: Option<usize>,
}

impl ServerConfig {
    /// The server's limits, defaults filled in.
    pub fn limits(&self) -> crate::server::ServerLimits {
        let d = crate::server::ServerLimits::default();
        crate::server::ServerLimits {
            header_timeout_ms: self.header_timeout_ms.unwrap_or(d.header_timeout_ms),
            body_timeout_ms: self.body_timeout_ms.unwrap_or(d.body_timeout_ms),
            request_timeout_ms: self.request_timeout_ms.unwrap_or(d.request_timeout_ms),
            max_connections: self.max_connections.unwrap_or(d.max_connections),
            max_connections_per_ip: self
                .max_connections_per_ip
                .unwrap_or(d.max_connections_per_ip),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatcherConfig {
    /// Touches one dispatch job decides at most (default 1000).
    #[serde(default = "default_batch")]
    pub batch_size: i64,
    /// Backstop poll interval, milliseconds (default 250).
    #[serde(default = "default_poll")]
    pub poll_interval_ms: u64,
    /// Transient provider errors allowed before a touch fails (default 5).
    #[serde(default = "default_attempts")]
    pub max_attempts: i64,
    /// Due touches released per second at most (spreads an 08:00 stampede; default 5000).
    #[serde(default = "default_rate")]
    pub max_dispatch_per_second: u32,
    /// Quiet-hours snoozes are spread over this many seconds after the window opens
    /// (default 60; 0 disables).
    #[serde(default = "default_spread")]
    pub spread_seconds: u32,
    /// Run the dispatcher in this process (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            batch_size: default_batch(),
            poll_interval_ms: default_poll(),
            max_attempts: default_attempts(),
            max_dispatch_per_second: default_rate(),
            spread_seconds: default_spread(),
            enabled: true,
        }
    }
}

fn default_batch() -> i64 {
    1000
}
fn default_poll() -> u64 {
    250
}
fn default_attempts() -> i64 {
    5
}
fn default_rate() -> u32 {
    5000
}
fn default_spread() -> u32 {
    60
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Region for phone numbers without `+` (default US).
    #[serde(default)]
    pub default_region: Option<String>,
    /// Zone when nothing locates a lead (default America/New_York).
    #[serde(default)]
    pub default_timezone: Option<String>,
    /// Marketing on sms/call/whatsapp needs consent (default true).
    #[serde(default)]
    pub require_consent: Option<bool>,
    /// Extra opt-out keywords (whole-message) for sms/whatsapp.
    #[serde(default)]
    pub opt_out_keywords: Vec<String>,
    /// Marketing calls and texts to US numbers need a national registry at most 31 days old
    /// (default false).
    #[serde(default)]
    pub require_registry: Option<bool>,
    /// Cross-campaign caps per recipient: `{marketing_per_week = N}`.
    #[serde(default)]
    pub recipient_caps: Option<gate::RecipientCaps>,
    /// What an opt-out reply covers: `all` channels (default) or the `channel` it came on.
    #[serde(default)]
    pub opt_out_scope: Option<OptOutScope>,
    /// What a reply from a lead stops: its pending marketing touches of the `campaign` it
    /// answers (default), `all` of them, or nothing (`off`).
    #[serde(default)]
    pub stop_on_reply: Option<StopOnReply>,
}

/// `stop_on_reply`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopOnReply {
    #[default]
    Campaign,
    All,
    Off,
}

/// `opt_out_scope`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptOutScope {
    #[default]
    All,
    Channel,
}

/// `[retention]`: how long message content is kept. Decisions, DNC entries, audit rows and
/// the audit chain are kept for good (well over the five years the regulations ask for):
/// nothing prunes them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// A touch's content (`content.subject`, `content.body`) and the sandbox's copy of what
    /// was sent become `[erased]` this many days after the touch was created, once it can no
    /// longer be sent (sent, failed, expired, cancelled, or past its deadline; default: kept).
    #[serde(default)]
    pub touch_content_days: Option<u32>,
    /// An inbound message's body becomes `[erased]` this many days after it was received
    /// (default: kept).
    #[serde(default)]
    pub inbound_body_days: Option<u32>,
}

impl RetentionConfig {
    /// The creation instants before which touch content, and inbound bodies, are erased.
    pub fn cutoffs(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
    ) {
        let before = |days: Option<u32>| days.map(|d| now - chrono::Duration::days(i64::from(d)));
        (
            before(self.touch_content_days),
            before(self.inbound_body_days),
        )
    }
}

/// `[deliverability]`: sender authentication and sender health for email.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverabilityConfig {
    /// Email from a domain without a DMARC record (or whose DKIM selector does not hold our
    /// key) is blocked `sender_unauthenticated` (default false).
    #[serde(default)]
    pub require_dmarc: bool,
    /// The name server to ask (`127.0.0.1:53`); default the system's.
    #[serde(default)]
    pub resolver: Option<std::net::SocketAddr>,
    /// Hard bounces over the last `window_sends` email sends above this pause the account's
    /// email (default 0.02).
    #[serde(default = "default_bounce_rate")]
    pub max_bounce_rate: f64,
    /// Complaints over the last `window_sends` email sends above this pause it (default 0.003).
    #[serde(default = "default_complaint_rate")]
    pub max_complaint_rate: f64,
    /// The window the rates are computed over (default 500); no rate before an account has
    /// sent that many since it began or was resumed.
    #[serde(default = "default_window_sends")]
    pub window_sends: u32,
}

impl Default for DeliverabilityConfig {
    fn default() -> Self {
        DeliverabilityConfig {
            require_dmarc: false,
            resolver: None,
            max_bounce_rate: default_bounce_rate(),
            max_complaint_rate: default_complaint_rate(),
            window_sends: default_window_sends(),
        }
    }
}

fn default_bounce_rate() -> f64 {
    0.02
}
fn default_complaint_rate() -> f64 {
    0.003
}
fn default_window_sends() -> u32 {
    500
}

/// `[metrics]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where `/metrics` listens (default `127.0.0.1:9464`, loopback only; `off`: nowhere).
    /// `TOUCHGATE_METRICS_LISTEN` overrides it.
    #[serde(default)]
    pub listen: Option<String>,
}

/// Where `/metrics` listens by default.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

impl MetricsConfig {
    /// The address to bind, or `None` when switched off.
    pub fn listen(&self) -> Option<String> {
        match self.listen.as_deref().map(str::trim) {
            Some("off") => None,
            Some(a) if !a.is_empty() => Some(a.to_owned()),
            _ => Some(DEFAULT_METRICS_LISTEN.to_owned()),
        }
    }
}

/// `[console]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// How long a console session lasts from login, minutes (default 480: a working day).
    #[serde(default)]
    pub session_minutes: Option<u32>,
}

/// `[whatsapp]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappConfig {
    /// Countries where marketing templates are not delivered (default `["US"]`).
    #[serde(default)]
    pub marketing_blocked_countries: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub token_env: Option<String>,
    pub role: Role,
    #[serde(default = "default_ws")]
    pub workspace: String,
    /// Shown in audit rows and the console (default `config token N`).
    #[serde(default)]
    pub name: Option<String>,
}

fn default_ws() -> String {
    DEFAULT_WORKSPACE.to_owned()
}

pub const DEFAULT_WORKSPACE: &str = "default";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Enqueue touches, post inbound messages, evaluate.
    Service,
    /// All of that, plus settings, DNC changes, audit, exports.
    Operator,
    /// An operator of its workspace who may also change what the whole installation shares
    /// (registry imports).
    Admin,
}

impl Role {
    /// Whether this role may do what `needed` may.
    pub fn includes(self, needed: Role) -> bool {
        let rank = |r: Role| match r {
            Role::Service => 0,
            Role::Operator => 1,
            Role::Admin => 2,
        };
        rank(self) >= rank(needed)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    #[serde(default)]
    pub secret_env: Option<String>,
    #[serde(default = "default_dispositions")]
    pub dnc_dispositions: Vec<String>,
    /// Provider webhooks carry no bearer token: a message from a person lands in every
    /// workspace with a lead that has the sender as a contact, and in this workspace only when
    /// none has (default `default`). Its default region reads senders given without `+`.
    #[serde(default = "default_ws")]
    pub workspace: String,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            secret_env: None,
            dnc_dispositions: default_dispositions(),
            workspace: default_ws(),
        }
    }
}

/// `[opt_out_confirmation]`: after an SMS or WhatsApp opt-out, one non-marketing message
/// confirming it (47 CFR 64.1200(a)(12)), sent within five minutes, never twice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptOutConfirmationConfig {
    /// Send the confirmation (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The message; `{brand}` is replaced by `brand`.
    #[serde(default = "default_confirmation_text")]
    pub text: String,
    /// Who the person unsubscribed from (default "our", giving "… from our messages").
    #[serde(default = "default_brand")]
    pub brand: String,
}

impl Default for OptOutConfirmationConfig {
    fn default() -> Self {
        OptOutConfirmationConfig {
            enabled: true,
            text: default_confirmation_text(),
            brand: default_brand(),
        }
    }
}

impl OptOutConfirmationConfig {
    /// The text as sent.
    pub fn render(&self) -> String {
        self.text.replace("{brand}", self.brand.trim())
    }
}

fn default_confirmation_text() -> String {
    "You're unsubscribed from {brand} messages. No more messages will be sent. Reply START to resubscribe."
        .to_owned()
}

fn default_brand() -> String {
    "our".to_owned()
}

fn default_dispositions() -> Vec<String> {
    ["DNC", "Do Not Call", "Remove From List", "Opt Out"]
        .map(String::from)
        .to_vec()
}

/// A workspace's effective settings.
/// `[registries]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistriesConfig {
    /// The largest import body or file read (default 16 GiB).
    #[serde(default)]
    pub max_import_bytes: Option<u64>,
}

impl RegistriesConfig {
    pub fn max_import_bytes(&self) -> u64 {
        self.max_import_bytes
            .unwrap_or(crate::api::registries::DEFAULT_MAX_IMPORT_BYTES)
    }
}

#[derive(Debug, Clone)]
pub struct WorkspaceSettings {
    pub default_region: String,
    pub opt_out_scope: OptOutScope,
    pub stop_on_reply: StopOnReply,
    pub policy: gate::Policy,
    pub opt_out: gate::OptOutConfig,
}

impl Config {
    /// Reads the file named by `TOUCHGATE_CONFIG`, else `config/touchgate.toml` if present,
    /// else defaults; then applies environment overrides.
    pub fn load() -> Result<Config, ConfigError> {
        let path = std::env::var_os("TOUCHGATE_CONFIG")
            .map(PathBuf::from)
            .or_else(|| {
                let p = PathBuf::from("config/touchgate.toml");
                p.exists().then_some(p)
            });
        let mut cfg = match path {
            Some(p) => Config::from_file(&p)?,
            None => Config::default(),
        };
        if let Ok(v) = std::env::var("TOUCHGATE_DATABASE_URL") {
            cfg.database_url = Some(v);
        }
        if let Ok(v) = std::env::var("TOUCHGATE_LISTEN") {
            cfg.listen = Some(v);
        }
        if let Ok(v) = std::env::var("TOUCHGATE_METRICS_LISTEN") {
            cfg.metrics.listen = Some(v);
        }
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut cfg: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        use sha2::Digest;
        cfg.source = Some((
            path.to_owned(),
            hex::encode(sha2::Sha256::digest(text.as_bytes())),
        ));
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.webhooks.workspace.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "webhooks.workspace: must not be empty".to_owned(),
            ));
        }
        if self.opt_out_confirmation.enabled && self.opt_out_confirmation.render().trim().is_empty()
        {
            return Err(ConfigError::Invalid(
                "opt_out_confirmation.text: must not be empty while enabled".to_owned(),
            ));
        }
        for (field, days) in [
            (
                "retention.touch_content_days",
                self.retention.touch_content_days,
            ),
            (
                "retention.inbound_body_days",
                self.retention.inbound_body_days,
            ),
        ] {
            if days.is_some_and(|d| d == 0 || d > 36_600) {
                return Err(ConfigError::Invalid(format!(
                    "{field}: must be 1 to 36600 days (leave it out to keep content)"
                )));
            }
        }
        for (name, ws) in std::iter::once(("workspace_defaults", &self.workspace_defaults))
            .chain(self.workspaces.iter().map(|(k, v)| (k.as_str(), v)))
        {
            if let Some(tz) = &ws.default_timezone {
                tz.parse::<chrono_tz::Tz>().map_err(|_| {
                    ConfigError::Invalid(format!("{name}.default_timezone: unknown zone `{tz}`"))
                })?;
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| "sqlite://touchgate.db".to_owned())
    }

    pub fn listen(&self) -> String {
        self.listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
    }

    pub fn public_base_url(&self) -> String {
        self.server
            .public_base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen()))
    }

    /// The settings of workspace `name` (built once per configuration load).
    pub fn workspace(&self, name: &str) -> std::sync::Arc<WorkspaceSettings> {
        let settings = self.settings.get_or_init(|| Settings {
            named: self
                .workspaces
                .keys()
                .map(|n| (n.clone(), std::sync::Arc::new(self.resolve_workspace(n))))
                .collect(),
            others: std::sync::Arc::new(self.resolve_workspace("")),
        });
        settings.named.get(name).unwrap_or(&settings.others).clone()
    }

    fn resolve_workspace(&self, name: &str) -> WorkspaceSettings {
        let d = &self.workspace_defaults;
        let w = self.workspaces.get(name);
        let pick = |f: fn(&WorkspaceConfig) -> Option<String>| w.and_then(f).or_else(|| f(d));
        let region = pick(|c| c.default_region.clone()).unwrap_or_else(|| "US".to_owned());
        let tz = pick(|c| c.default_timezone.clone())
            .and_then(|t| t.parse().ok())
            .unwrap_or(chrono_tz::America::New_York);
        let require_consent = w
            .and_then(|c| c.require_consent)
            .or(d.require_consent)
            .unwrap_or(true);
        let mut keywords = d.opt_out_keywords.clone();
        if let Some(w) = w {
            keywords.extend(w.opt_out_keywords.iter().cloned());
        }
        let defaults = gate::Policy::default();
        WorkspaceSettings {
            default_region: region,
            opt_out_scope: w
                .and_then(|c| c.opt_out_scope)
                .or(d.opt_out_scope)
                .unwrap_or_default(),
            stop_on_reply: w
                .and_then(|c| c.stop_on_reply)
                .or(d.stop_on_reply)
                .unwrap_or_default(),
            policy: gate::Policy {
                require_consent,
                default_timezone: tz,
                require_registry: w
                    .and_then(|c| c.require_registry)
                    .or(d.require_registry)
                    .unwrap_or(defaults.require_registry),
                whatsapp_marketing_blocked_countries: self
                    .whatsapp
                    .marketing_blocked_countries
                    .clone()
                    .unwrap_or(defaults.whatsapp_marketing_blocked_countries),
                recipient_caps: w
                    .and_then(|c| c.recipient_caps)
                    .or(d.recipient_caps)
                    .unwrap_or(defaults.recipient_caps),
            },
            opt_out: keywords.iter().fold(gate::OptOutConfig::default(), |c, k| {
                c.with_opt_out_keyword(k)
            }),
        }
    }
}
