//! `touchgate audit verify [--anchor EXPORT] [--export EXPORT]` and
//! `touchgate audit export [--out FILE]`: the tamper-evident record ([`dispatcher::chain`]).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use dispatcher::chain::{self, Anchor, Report};
use dispatcher::config::Config;
use dispatcher::store::Store;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk every chain against the rows it covers. Exit status 1, naming the first row that
    /// does not match, when anything was edited, deleted or inserted outside the daemon.
    Verify {
        /// An earlier export: also prove that the chains still extend the heads it ended with.
        #[arg(long)]
        anchor: Option<PathBuf>,
        /// Check an export file alone (what an auditor does, without the database).
        #[arg(long, conflicts_with = "anchor")]
        export: Option<PathBuf>,
    },
    /// Write every chain, link by link with the content each hash covers, ending with the
    /// heads and their root hash (keep that last line outside the database).
    Export {
        /// The file to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(config: &Config, command: AuditCommand) -> Result<()> {
    match command {
        AuditCommand::Verify {
            export: Some(path), ..
        } => {
            let file = File::open(&path).with_context(|| format!("--export {}", path.display()))?;
            let report = chain::verify_export(BufReader::new(file))
                .with_context(|| format!("reading {}", path.display()))?;
            finish(&report)
        }
        AuditCommand::Verify { anchor, .. } => {
            let anchor = match anchor {
                Some(path) => {
                    let file = File::open(&path)
                        .with_context(|| format!("--anchor {}", path.display()))?;
                    Some(Anchor::from_export(BufReader::new(file))?.with_context(|| {
                        format!("--anchor {}: no anchor line at its end", path.display())
                    })?)
                }
                None => None,
            };
            let store = Store::connect(&config.database_url(), 2).await?;
            let report = chain::verify(&store, anchor.as_ref()).await?;
            finish(&report)
        }
        AuditCommand::Export { out } => {
            let store = Store::connect(&config.database_url(), 2).await?;
            let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let anchor = match &out {
                Some(path) => {
                    let file =
                        File::create(path).with_context(|| format!("--out {}", path.display()))?;
                    let mut w = BufWriter::new(file);
                    let a = chain::export(&store, at, &mut w).await?;
                    w.flush()?;
                    a
                }
                None => {
                    let mut w = BufWriter::new(std::io::stdout().lock());
                    let a = chain::export(&store, at, &mut w).await?;
                    w.flush()?;
                    a
                }
            };
            eprintln!(
                "exported {} chain(s); root {} — keep it outside the database",
                anchor.heads.len(),
                anchor.root
            );
            Ok(())
        }
    }
}

/// Prints the report; exits 1 on a failure.
fn finish(report: &Report) -> Result<()> {
    for h in &report.heads {
        println!("chain {}: {} links, head {}", h.workspace, h.n, h.hash);
    }
    let pending: i64 = report.unsealed.iter().map(|(_, n)| n).sum();
    if pending > 0 {
        println!("pending: {pending} row(s) written in the last second(s), not sealed yet");
    }
    match &report.failure {
        Some(f) => {
            println!("FAILED: {f}");
            std::process::exit(1);
        }
        None => {
            println!("ok: {} links verified", report.links);
            Ok(())
        }
    }
}
