//! Email over SMTP with lettre.
//!
//! The SMTP dialogue is driven phase by phase on lettre's `AsyncSmtpConnection` (rather than
//! `AsyncSmtpTransport::send`, which runs MAIL … DATA as one opaque call) so that a failure
//! can be attributed: nothing after a timeout *before* the message content was sent can have
//! been delivered (safe to retry), whereas a timeout or reset while sending the content or
//! waiting for the final reply may have been accepted (unknown, never resent). Idle
//! connections are kept for reuse (a small pool, checked with NOOP).
//!
//! | answer | outcome |
//! | --- | --- |
//! | 250 after the message | `Receipt { provider_message_id: <Message-ID> }` |
//! | 5xx at any step (incl. AUTH) | `Rejected { code: "smtp_<code>" }` |
//! | 4xx at any step | `Transient` |
//! | connection refused, TLS / greeting failure, timeout or reset before DATA | `Transient` |
//! | the server's TLS certificate does not verify (STARTTLS or implicit TLS) | `Transient` |
//! | timeout or reset while sending the message or awaiting its reply | `Unknown` |
//!
//! Every message carries `Message-ID` (`<touch.{touch_id}@{sender domain}>`, the same for a
//! retry of the same touch), `Date` (the dispatcher's clock), and, from the caller's
//! `unsubscribe_url`, `List-Unsubscribe: <url>` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058). With `dkim` configured, every message is signed
//! last, once all of these are set (see [`crate::dkim`]).
//!
//! TLS (`starttls`, `tls`) verifies the server's certificate against the public roots plus the
//! CAs of `ca_file`. A certificate that does not verify (unknown issuer, wrong name, expired)
//! ends the attempt before anything is sent, as `Transient` with a detail that says so: it is
//! usually the server's or our configuration, fixed without the message changing, and a
//! retry after the fix sends it; failing the touch for good would lose it for nothing.

use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use governor::Quota;
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};

use crate::config::{self, ConfigError, SmtpConfig, SmtpTls};
use crate::dkim::{DkimIdentity, DkimSigner};
use crate::pacing::{self, Pacer};
use crate::secret::{self, Env, Secret};
use crate::{OutboundMessage, Receipt, SendError, Transport};

/// Connections idle longer than this are not reused.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Where in the dialogue a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connect,
    Auth,
    Envelope,
    /// The message content is being sent or its final reply awaited.
    Message,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Auth => "auth",
            Phase::Envelope => "envelope",
            Phase::Message => "message",
        }
    }
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// The SMTP email transport.
pub struct SmtpTransport {
    host: String,
    port: u16,
    tls: SmtpTls,
    tls_parameters: Option<TlsParameters>,
    credentials: Option<(Secret, Secret)>,
    from: Mailbox,
    hello: ClientId,
    timeout: Duration,
    quota: Quota,
    require_unsubscribe_url: bool,
    dkim: Option<DkimSigner>,
    pool_size: usize,
    pool: tokio::sync::Mutex<Vec<Idle>>,
    pacer: Pacer,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("authenticated", &self.credentials.is_some())
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .field("dkim", &self.dkim.as_ref().map(DkimSigner::identity))
            .finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// Reads `username_env` / `password_env` (both or neither), the DKIM key and `ca_file` now.
    pub fn new(cfg: &SmtpConfig, env: &dyn Env) -> Result<SmtpTransport, ConfigError> {
        let channel = gate::Channel::Email;
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|e| ConfigError::invalid(channel, format!("from: {e}")))?;
        let credentials = match (&cfg.username_env, &cfg.password_env) {
            (Some(u), Some(p)) => Some((
                secret::read(env, "username_env", u)?,
                secret::read(env, "password_env", p)?,
            )),
            (None, None) => None,
            _ => {
                return Err(ConfigError::invalid(
                    channel,
                    "username_env and password_env go together",
                ));
            }
        };
        let tls_parameters = tls_parameters(cfg)?;
        let dkim = cfg
            .dkim
            .as_ref()
            .map(|d| DkimSigner::from_config(d, env))
            .transpose()?;
        let port = cfg.port.unwrap_or(match cfg.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        });
        let hello = match &cfg.hello_name {
            Some(name) => ClientId::Domain(name.clone()),
            None => ClientId::default(),
        };
        Ok(SmtpTransport {
            host: cfg.host.clone(),
            port,
            tls: cfg.tls,
            tls_parameters,
            credentials,
            from,
            hello,
            timeout: config::timeout(cfg.timeout_secs, config::DEFAULT_SMTP_TIMEOUT),
            quota: Pacer::per_second(cfg.rate_per_second.unwrap_or(pacing::EMAIL_PER_SECOND)),
            require_unsubscribe_url: cfg.require_unsubscribe_url,
            dkim,
            pool_size: cfg.pool_size.unwrap_or(4),
            pool: tokio::sync::Mutex::new(Vec::new()),
            pacer: Pacer::default(),
        })
    }

    /// Overrides the timeout of each exchange (finer than the config's whole seconds).
    pub fn with_timeout(mut self, timeout: Duration) -> SmtpTransport {
        self.timeout = timeout;
        self
    }

    /// Paces every mailbox with `quota` instead of the configured rate.
    pub fn with_quota(mut self, quota: Quota) -> SmtpTransport {
        self.quota = quota;
        self
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    pub fn quota(&self) -> Quota {
        self.quota
    }

    /// The DKIM signing domain, selector and public key, when `dkim` is configured: what the
    /// selector's TXT record must publish (see [`DkimIdentity::check_record`]).
    pub fn dkim_identity(&self) -> Option<&DkimIdentity> {
        self.dkim.as_ref().map(DkimSigner::identity)
    }

    /// The configured `from` address (an account's own sender overrides it per message).
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Builds the RFC 5322 message for `msg`, DKIM-signed when configured (no I/O).
    pub fn build_message(
        &self,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<(Message, String), SendError> {
        let invalid = |code: &str, detail: String| SendError::Rejected {
            code: Some(code.to_owned()),
            detail,
        };
        let from: Mailbox = match msg.from.as_deref() {
            Some(f) => f
                .parse()
                .map_err(|e| invalid("invalid_sender", format!("sender {f:?}: {e}")))?,
            None => self.from.clone(),
        };
        let to: Mailbox = msg.to.parse().map_err(|e| SendError::InvalidRecipient {
            detail: format!("not an email address: {e}"),
        })?;
        let message_id = format!("<touch.{}@{}>", id_part(&msg.touch_id), from.email.domain());
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .message_id(Some(message_id.clone()))
            .date(SystemTime::from(now))
            .subject(msg.subject.clone().unwrap_or_default());
        match msg.unsubscribe_url.as_deref() {
            Some(url) => {
                check_url(url).map_err(|d| invalid("invalid_unsubscribe_url", d))?;
                builder = builder
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe"),
                        format!("<{url}>"),
                    ))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click".to_owned(),
                    ));
            }
            None if self.require_unsubscribe_url => {
                return Err(invalid(
                    "unsubscribe_url_missing",
                    "an email needs a one-click unsubscribe URL (require_unsubscribe_url)"
                        .to_owned(),
                ));
            }
            None => {}
        }
        let mut message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(msg.body.clone().unwrap_or_default())
            .map_err(|e| invalid("invalid_message", e.to_string()))?;
        if let Some(dkim) = &self.dkim {
            dkim.sign(&mut message);
        }
        Ok((message, message_id))
    }

    /// A live connection: an idle one that still answers NOOP, else a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let idle = self.pool.lock().await.pop();
            let Some(Idle { mut conn, since }) = idle else {
                break;
            };
            if since.elapsed() < MAX_IDLE
                && !conn.has_broken()
                && tokio::time::timeout(self.timeout, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                return Ok(conn);
            }
        }
        self.connect().await
    }

    async fn checkin(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let mut pool = self.pool.lock().await;
        if pool.len() < self.pool_size {
            pool.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let implicit = match self.tls {
            SmtpTls::Tls => self.tls_parameters.clone(),
            SmtpTls::None | SmtpTls::Starttls => None,
        };
        let connecting = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            implicit,
            None,
        );
        let mut conn = timed(self.timeout, Phase::Connect, connecting).await?;
        if let (SmtpTls::Starttls, Some(params)) = (self.tls, &self.tls_parameters) {
            if !conn.can_starttls() {
                return Err(SendError::Transient {
                    detail:
                        "smtp: the server does not offer STARTTLS (required by tls = \"starttls\")"
                            .to_owned(),
                });
            }
            timed(
                self.timeout,
                Phase::Connect,
                conn.starttls(params.clone(), &self.hello),
            )
            .await?;
        }
        if let Some((user, password)) = &self.credentials {
            let creds = Credentials::new(user.expose().to_owned(), password.expose().to_owned());
            timed(
                self.timeout,
                Phase::Auth,
                conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds),
            )
            .await?;
        }
        Ok(conn)
    }

    /// MAIL, RCPT, DATA, the message; the connection is dropped on any failure.
    async fn transact(
        &self,
        conn: &mut AsyncSmtpConnection,
        message: &Message,
    ) -> Result<(), SendError> {
        let envelope = message.envelope();
        let mut params = Vec::new();
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(SendError::Rejected {
                    code: Some("smtp_utf8_unsupported".to_owned()),
                    detail: "smtp: non-ASCII address but the server lacks SMTPUTF8".to_owned(),
                });
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        let t = self.timeout;
        timed(
            t,
            Phase::Envelope,
            conn.command(Mail::new(envelope.from().cloned(), params)),
        )
        .await?;
        for rcpt in envelope.to() {
            timed(
                t,
                Phase::Envelope,
                conn.command(Rcpt::new(rcpt.clone(), vec![])),
            )
            .await?;
        }
        timed(t, Phase::Envelope, conn.command(Data)).await?;
        timed(t, Phase::Message, conn.message(&message.formatted())).await?;
        Ok(())
    }
}

/// Runs one exchange under `timeout` and maps its failure for `phase`.
async fn timed<T>(
    timeout: Duration,
    phase: Phase,
    fut: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, SendError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(smtp_error(phase, &e)),
        Err(_) if phase == Phase::Message => Err(SendError::Unknown {
            detail: format!("smtp: no reply within {timeout:?} after the message was sent"),
        }),
        Err(_) => Err(SendError::Transient {
            detail: format!("smtp: timed out ({timeout:?}) at {}", phase.as_str()),
        }),
    }
}

fn smtp_error(phase: Phase, e: &lettre::transport::smtp::Error) -> SendError {
    if let Some(cert) = certificate_error(e) {
        return SendError::Transient {
            detail: format!(
                "smtp {}: the server's TLS certificate did not verify ({cert}); nothing was sent \
                 (trust its CA with ca_file, or fix the server's certificate)",
                phase.as_str()
            ),
        };
    }
    let detail = format!("smtp {}: {e}", phase.as_str());
    if e.is_permanent() {
        let code = e
            .status()
            .map_or_else(|| "smtp_permanent".to_owned(), |c| format!("smtp_{c}"));
        return SendError::Rejected {
            code: Some(code),
            detail,
        };
    }
    if e.is_transient() {
        return SendError::Transient { detail };
    }
    if phase == Phase::Message {
        return SendError::Unknown { detail };
    }
    SendError::Transient { detail }
}

/// The certificate verification failure inside a failed TLS handshake, if that is what it was
/// (tokio-rustls reports it as an `io::Error` wrapping the `rustls::Error`).
fn certificate_error(e: &lettre::transport::smtp::Error) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = current {
        if let Some(rustls::Error::InvalidCertificate(cert)) = err.downcast_ref::<rustls::Error>() {
            return Some(cert.to_string());
        }
        current = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// The TLS client settings: the server's name, the public roots, and `ca_file`'s CAs.
fn tls_parameters(cfg: &SmtpConfig) -> Result<Option<TlsParameters>, ConfigError> {
    let channel = gate::Channel::Email;
    if cfg.tls == SmtpTls::None {
        if cfg.ca_file.is_some() {
            return Err(ConfigError::invalid(
                channel,
                "ca_file needs tls = \"starttls\" or \"tls\"",
            ));
        }
        return Ok(None);
    }
    let mut builder = TlsParameters::builder(cfg.host.clone());
    if let Some(path) = &cfg.ca_file {
        let bad =
            |m: String| ConfigError::invalid(channel, format!("ca_file {}: {m}", path.display()));
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        if !pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(bad(
                "no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned()
            ));
        }
        let certs = Certificate::from_pem(&pem).map_err(|e| bad(e.to_string()))?;
        builder = builder.add_root_certificate(certs);
    }
    builder.build().map(Some).map_err(|e| ConfigError::Client {
        channel: channel.as_str().to_owned(),
        detail: match &cfg.ca_file {
            Some(path) => format!("ca_file {}: {e}", path.display()),
            None => e.to_string(),
        },
    })
}

/// A touch id as the left part of a Message-ID (dot-atom text).
fn id_part(touch_id: &str) -> String {
    let s: String = touch_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('.').replace("..", ".");
    if s.is_empty() { "touch".to_owned() } else { s }
}

/// An unsubscribe URL goes inside `<…>` in a header: http(s), printable ASCII, no `<>`.
fn check_url(url: &str) -> Result<(), String> {
    let ok_scheme = url.starts_with("https://") || url.starts_with("http://");
    let ok_chars = url
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    if ok_scheme && ok_chars && url.len() <= 900 {
        Ok(())
    } else {
        Err("unsubscribe URL must be an http(s) URL of printable ASCII without <>".to_owned())
    }
}

impl Transport for SmtpTransport {
    async fn send(
        &self,
        permit: gate::Permit,
        msg: &OutboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        permit.authorizes(gate::Channel::Email, &msg.to, now)?;
        let (message, message_id) = self.build_message(msg, now)?;
        let sender = message
            .envelope()
            .from()
            .map(|a| AsRef::<str>::as_ref(a).to_ascii_lowercase())
            .unwrap_or_default();
        self.pacer
            .acquire(&sender, self.quota, now, permit.expires_at())
            .await?;
        crate::last_check(msg).await?;
        let mut conn = self.checkout().await?;
        match self.transact(&mut conn, &message).await {
            Ok(()) => {
                self.checkin(conn).await;
                Ok(Receipt {
                    provider_message_id: message_id,
                    recorded: None,
                })
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_parts_are_dot_atoms() {
        assert_eq!(id_part("01J9Z-abc"), "01J9Z-abc");
        assert_eq!(id_part("a b@c<d>"), "a-b-c-d-");
        assert_eq!(id_part(".."), "touch");
    }

    #[test]
    fn unsubscribe_urls_cannot_inject_headers() {
        assert!(check_url("https://tg.example/v1/unsubscribe/abc.def").is_ok());
        assert!(check_url("https://tg.example/u\r\nBcc: x@y").is_err());
        assert!(check_url("https://tg.example/u>, <mailto:x@y").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
    }
}
