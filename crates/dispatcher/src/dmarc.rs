//! Sender authentication for email (`[deliverability] require_dmarc`): the From domain must
//! publish a DMARC record (`_dmarc.<domain>`, else `_dmarc.<organizational domain>`, RFC 7489
//! § 6.6.3), and, when the SMTP transport signs with DKIM, the selector's record
//! (`<selector>._domainkey.<dkim domain>`) must hold our public key. DNS goes through
//! hickory-resolver (`[deliverability] resolver`, else the system's), whose cache keeps each
//! answer for its TTL. A DNS failure or timeout is not a verdict: the touch is re-decided in
//! five minutes (`LookupFailed`).

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

/// Looks up what sender authentication needs.
#[derive(Clone)]
pub struct Dmarc {
    resolver: TokioResolver,
    dkim: Option<workers::dkim::DkimIdentity>,
}

impl std::fmt::Debug for Dmarc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dmarc").field("dkim", &self.dkim).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DmarcError {
    #[error("cannot set up the DNS resolver")]
    Resolver(#[source] hickory_resolver::net::NetError),
}

/// What a TXT lookup found.
enum Txt {
    Records(Vec<String>),
    /// The name exists with no TXT record, or does not exist.
    None,
    /// DNS did not answer (a timeout, SERVFAIL, a refused connection).
    Failed(String),
}

impl Dmarc {
    /// `resolver`: `127.0.0.1:53`-style address of the name server to ask (none: the
    /// system's). `dkim`: the key the SMTP transport signs with.
    pub fn new(
        resolver: Option<SocketAddr>,
        dkim: Option<workers::dkim::DkimIdentity>,
    ) -> Result<Dmarc, DmarcError> {
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_secs(3);
        opts.attempts = 1;
        let builder = match resolver {
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => TokioResolver::builder_tokio().map_err(DmarcError::Resolver)?,
        };
        let resolver = builder
            .with_options(opts)
            .build()
            .map_err(DmarcError::Resolver)?;
        Ok(Dmarc { resolver, dkim })
    }

    async fn txt(&self, name: &str) -> Txt {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(fqdn).await {
            Ok(lookup) => Txt::Records(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Txt::None,
            Err(e) => Txt::Failed(e.to_string()),
        }
    }

    /// The DMARC record of `domain` (or its organizational domain).
    async fn dmarc_record(&self, domain: &str) -> Result<Option<String>, String> {
        let mut names = vec![format!("_dmarc.{domain}")];
        let org = organizational_domain(domain);
        if org != domain {
            names.push(format!("_dmarc.{org}"));
        }
        for name in names {
            match self.txt(&name).await {
                Txt::Records(r) => {
                    if let Some(rec) = r.into_iter().find(|t| is_dmarc(t)) {
                        return Ok(Some(rec));
                    }
                }
                Txt::None => {}
                Txt::Failed(e) => return Err(format!("DNS lookup of {name} failed: {e}")),
            }
        }
        Ok(None)
    }

    /// The verdict for email sent from `from_domain`.
    pub async fn verdict(&self, from_domain: &str) -> gate::SenderAuth {
        let domain = from_domain
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        match self.dmarc_record(&domain).await {
            Err(detail) => return gate::SenderAuth::LookupFailed { detail },
            Ok(None) => {
                return gate::SenderAuth::Unauthenticated {
                    detail: format!(
                        "{domain} publishes no DMARC record (_dmarc.{domain}, nor its organizational domain)"
                    ),
                };
            }
            Ok(Some(_)) => {}
        }
        let Some(dkim) = &self.dkim else {
            return gate::SenderAuth::Authenticated;
        };
        let name = dkim.record_name();
        match self.txt(&name).await {
            Txt::Failed(e) => gate::SenderAuth::LookupFailed {
                detail: format!("DNS lookup of {name} failed: {e}"),
            },
            Txt::None => gate::SenderAuth::Unauthenticated {
                detail: format!("no DKIM record at {name} for the key we sign with"),
            },
            Txt::Records(records) => {
                let mut why = String::new();
                for r in &records {
                    match dkim.check_record(r) {
                        Ok(()) => return gate::SenderAuth::Authenticated,
                        Err(e) => why = e.to_string(),
                    }
                }
                gate::SenderAuth::Unauthenticated {
                    detail: format!("the DKIM record at {name} does not match our key: {why}"),
                }
            }
        }
    }
}

/// `v=DMARC1; …` (RFC 7489 § 6.3: the record starts with the version tag).
fn is_dmarc(txt: &str) -> bool {
    txt.trim_start()
        .get(..8)
        .is_some_and(|v| v.eq_ignore_ascii_case("v=DMARC1"))
}

/// The organizational domain: the registered domain under its public suffix. A small list of
/// two-label suffixes covers the common cases (`co.uk`, `com.au` …); anything else is taken as
/// a one-label suffix (`acme.example` for `mail.acme.example`).
pub fn organizational_domain(domain: &str) -> String {
    const TWO_LABEL_SUFFIXES: &[&str] = &[
        "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp",
        "ne.jp", "or.jp", "com.br", "com.mx", "co.in", "co.za", "com.cn", "com.sg", "co.kr",
    ];
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    let tail = |k: usize| {
        labels
            .get(n.saturating_sub(k)..)
            .unwrap_or_default()
            .join(".")
    };
    if n <= 2 {
        return labels.join(".");
    }
    let suffix_len = if TWO_LABEL_SUFFIXES.contains(&tail(2).as_str()) {
        2
    } else {
        1
    };
    tail(suffix_len + 1)
}

/// The domain of an email sender (`Name <a@b.example>` or `a@b.example`).
pub fn sender_domain(sender: &str) -> Option<String> {
    let address = match sender.rsplit_once('<') {
        Some((_, a)) => a.trim_end_matches('>'),
        None => sender,
    };
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizational_domains() {
        assert_eq!(organizational_domain("mail.acme.example"), "acme.example");
        assert_eq!(organizational_domain("acme.example"), "acme.example");
        assert_eq!(organizational_domain("a.b.acme.co.uk"), "acme.co.uk");
        assert_eq!(
            sender_domain("SDR <sdr@Mail.Acme.Example>").as_deref(),
            Some("mail.acme.example")
        );
        assert_eq!(sender_domain("no-at-sign"), None);
        assert!(is_dmarc("v=DMARC1; p=reject"));
        assert!(!is_dmarc("v=spf1 -all"));
    }
}
