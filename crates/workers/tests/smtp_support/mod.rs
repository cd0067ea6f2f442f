//! A tiny SMTP server on 127.0.0.1 (plain, STARTTLS or implicit TLS) that logs what it is
//! sent, certificates for it, and the transport's test config.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use workers::config::{SmtpConfig, SmtpTls};
use workers::smtp::SmtpTransport;

pub const UNSUBSCRIBE: &str = "https://tg.example/v1/unsubscribe/tok123.sig456";

/// What the server answers at RCPT and after the message's final dot.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    Ok,
    Code(u16),
    /// Never answer (the client must time out).
    Stall,
}

/// How the server speaks TLS.
#[derive(Clone)]
pub enum ServerTls {
    None,
    /// Offers STARTTLS in its EHLO answer.
    Starttls(TlsAcceptor),
    /// TLS from the first byte.
    Implicit(TlsAcceptor),
}

#[derive(Debug, Default)]
pub struct Log {
    pub connections: usize,
    /// TLS handshakes that completed.
    pub tls_sessions: usize,
    /// TLS handshakes that failed, with the server's view of why.
    pub tls_failures: Vec<String>,
    pub auth: Vec<String>,
    pub mail_from: Vec<String>,
    pub rcpt_to: Vec<String>,
    pub messages: Vec<String>,
    /// For each message, whether it came over TLS.
    pub messages_secure: Vec<bool>,
}

pub struct Server {
    pub port: u16,
    pub log: Arc<Mutex<Log>>,
}

/// A plain-text server.
pub async fn server(rcpt: Reply, end_of_data: Reply) -> Server {
    server_with(ServerTls::None, rcpt, end_of_data).await
}

pub async fn server_with(tls: ServerTls, rcpt: Reply, end_of_data: Reply) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Log::default()));
    let shared = Arc::clone(&log);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            shared.lock().unwrap().connections += 1;
            let session = Session {
                log: Arc::clone(&shared),
                rcpt,
                end_of_data,
            };
            tokio::spawn(session.serve(stream, tls.clone()));
        }
    });
    Server { port, log }
}

#[derive(Clone)]
struct Session {
    log: Arc<Mutex<Log>>,
    rcpt: Reply,
    end_of_data: Reply,
}

/// How a dialogue ended.
enum End<S> {
    Closed,
    /// The client sent STARTTLS and was told to go ahead: the raw stream, to wrap.
    StartTls(S),
}

impl Session {
    async fn serve(self, tcp: tokio::net::TcpStream, tls: ServerTls) {
        match tls {
            ServerTls::None => {
                self.dialogue(tcp, true, false, false).await;
            }
            ServerTls::Implicit(acceptor) => {
                if let Some(s) = self.handshake(&acceptor, tcp).await {
                    self.dialogue(s, true, false, true).await;
                }
            }
            ServerTls::Starttls(acceptor) => {
                if let End::StartTls(tcp) = self.dialogue(tcp, true, true, false).await
                    && let Some(s) = self.handshake(&acceptor, tcp).await
                {
                    self.dialogue(s, false, false, true).await;
                }
            }
        }
    }

    async fn handshake(
        &self,
        acceptor: &TlsAcceptor,
        tcp: tokio::net::TcpStream,
    ) -> Option<tokio_rustls::server::TlsStream<tokio::net::TcpStream>> {
        match acceptor.accept(tcp).await {
            Ok(s) => {
                self.log.lock().unwrap().tls_sessions += 1;
                Some(s)
            }
            Err(e) => {
                self.log.lock().unwrap().tls_failures.push(e.to_string());
                None
            }
        }
    }

    async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: S,
        greet: bool,
        offer_starttls: bool,
        secure: bool,
    ) -> End<S> {
        let mut io = BufReader::new(stream);
        if greet
            && io
                .get_mut()
                .write_all(b"220 test.local ESMTP\r\n")
                .await
                .is_err()
        {
            return End::Closed;
        }
        while let Some(line) = read_line(&mut io).await {
            let upper = line.to_ascii_uppercase();
            let answer: Option<String> = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                let starttls = if offer_starttls {
                    "250-STARTTLS\r\n"
                } else {
                    ""
                };
                Some(format!(
                    "250-test.local\r\n{starttls}250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n"
                ))
            } else if upper == "STARTTLS" && offer_starttls {
                if io
                    .get_mut()
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await
                    .is_err()
                {
                    return End::Closed;
                }
                // The client waits for the 220 before its handshake: nothing is buffered.
                assert!(io.buffer().is_empty());
                return End::StartTls(io.into_inner());
            } else if upper.starts_with("AUTH") {
                self.log.lock().unwrap().auth.push(line.clone());
                Some("235 2.7.0 Authentication successful\r\n".to_owned())
            } else if upper.starts_with("MAIL FROM:") {
                self.log
                    .lock()
                    .unwrap()
                    .mail_from
                    .push(line[10..].to_owned());
                Some("250 2.1.0 Ok\r\n".to_owned())
            } else if upper.starts_with("RCPT TO:") {
                self.log.lock().unwrap().rcpt_to.push(line[8..].to_owned());
                reply(self.rcpt, "250 2.1.5 Ok\r\n").await
            } else if upper == "DATA" {
                if io
                    .get_mut()
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .is_err()
                {
                    return End::Closed;
                }
                let mut data = String::new();
                while let Some(l) = read_line(&mut io).await {
                    if l == "." {
                        break;
                    }
                    let l = l
                        .strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(&l);
                    data.push_str(l);
                    data.push_str("\r\n");
                }
                {
                    let mut log = self.log.lock().unwrap();
                    log.messages.push(data);
                    log.messages_secure.push(secure);
                }
                reply(self.end_of_data, "250 2.0.0 Ok: queued as ABC123\r\n").await
            } else if upper == "NOOP" || upper == "RSET" {
                Some("250 2.0.0 Ok\r\n".to_owned())
            } else if upper == "QUIT" {
                let _ = io.get_mut().write_all(b"221 2.0.0 Bye\r\n").await;
                return End::Closed;
            } else {
                Some("502 5.5.2 Error: command not recognized\r\n".to_owned())
            };
            let Some(answer) = answer else {
                return End::Closed;
            };
            if io.get_mut().write_all(answer.as_bytes()).await.is_err() {
                return End::Closed;
            }
        }
        End::Closed
    }
}

/// One line without its CRLF; `None` at the end of the stream.
async fn read_line<S: AsyncRead + Unpin>(io: &mut BufReader<S>) -> Option<String> {
    let mut line = String::new();
    match io.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

/// The answer for `r`: `ok`, a refusal with code, or never (`None` after a long wait).
async fn reply(r: Reply, ok: &str) -> Option<String> {
    match r {
        Reply::Ok => Some(ok.to_owned()),
        Reply::Code(c) => Some(format!(
            "{c} {} test refusal\r\n",
            if c >= 500 { "5.1.1" } else { "4.7.1" }
        )),
        Reply::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            None
        }
    }
}

/// A test CA, made fresh by each test.
pub struct TestCa {
    pub pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A server certificate for `names` (DNS names, or IP addresses) signed by this CA, valid
    /// over rcgen's default span (1975–4096) unless `validity` says otherwise.
    pub fn acceptor(&self, names: &[&str], validity: Option<(i32, i32)>) -> TlsAcceptor {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        for name in names {
            params.subject_alt_names.push(match name.parse::<IpAddr>() {
                Ok(ip) => rcgen::SanType::IpAddress(ip),
                Err(_) => rcgen::SanType::DnsName((*name).try_into().unwrap()),
            });
        }
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, names[0]);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        if let Some((from, to)) = validity {
            params.not_before = rcgen::date_time_ymd(from, 1, 1);
            params.not_after = rcgen::date_time_ymd(to, 1, 1);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        TlsAcceptor::from(Arc::new(config))
    }

    /// Writes the CA certificate to a fresh file for `ca_file`.
    pub fn write(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.pem).unwrap();
        path
    }
}

/// A directory for files a config names, under the target's temp dir (`name` apart).
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("smtp-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A plain-text transport to `port` with a short timeout.
pub fn smtp(port: u16) -> SmtpTransport {
    SmtpTransport::new(&config(port), &crate::common::env(&[]))
        .unwrap()
        .with_timeout(Duration::from_millis(500))
}

/// An email to [`crate::common::EMAIL`] with a subject and an unsubscribe URL.
pub fn email() -> workers::OutboundMessage {
    let mut msg = crate::common::message(gate::Channel::Email, crate::common::EMAIL);
    msg.subject = Some("Quick question".to_owned());
    msg.unsubscribe_url = Some(UNSUBSCRIBE.to_owned());
    msg
}

pub fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port: Some(port),
        tls: SmtpTls::None,
        username_env: None,
        password_env: None,
        from: "SDR Team <sdr@acme.example>".to_owned(),
        hello_name: Some("tg.test".to_owned()),
        timeout_secs: None,
        rate_per_second: None,
        pool_size: None,
        require_unsubscribe_url: true,
        ca_file: None,
        dkim: None,
    }
}

/// The headers (unfolded) and body of a received message.
pub fn parse(data: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            headers.last_mut().unwrap().1.push_str(line);
        } else {
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_owned(), v.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}
