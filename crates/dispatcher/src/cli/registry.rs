//! `touchgate registry import NAME FILE… [--mode full|add|delete] [--as-of YYYY-MM-DD]` and
//! `touchgate registry list`: the same import as the API's (lease, segment, commit), fed from
//! files, with a progress bar when stderr is a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use clap::Subcommand;
use futures::{Stream, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::AsyncReadExt;

use dispatcher::clock::Clock;
use dispatcher::config::{Config, DEFAULT_WORKSPACE};
use dispatcher::registries::{ImportRequest, Registries, is_stale};
use dispatcher::store::Store;

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Import one or more files (read one after the other) into a registry.
    Import {
        /// `national`, `state-XX`, `litigators` or `reassigned`.
        name: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, default_value = "full")]
        mode: String,
        /// The date the list is current to (required for `full`).
        #[arg(long)]
        as_of: Option<String>,
        /// The workspace the import is recorded for (registries are installation-wide).
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
    /// Print each registry: entries, as_of, imported_at, stale.
    List,
}

/// Bytes read from a file at a time.
const READ_CHUNK: usize = 4 * 1024 * 1024;

pub async fn run(config: &Config, command: RegistryCommand) -> Result<()> {
    let store = Store::connect(&config.database_url(), 4).await?;
    let node = format!("cli-{}", uuid::Uuid::now_v7());
    let registries = Registries::load(store, &node)
        .await
        .context("loading the registries in force")?;
    let clock = Clock::System;
    match command {
        RegistryCommand::List => {
            let now = clock.now();
            println!("name\tentries\tas_of\timported_at\tstale");
            for l in registries.snapshot().lists.values() {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    l.row.name,
                    l.row.entries,
                    l.row.as_of.map(|d| d.to_string()).unwrap_or_default(),
                    l.row.imported_at.to_rfc3339(),
                    is_stale(l.row.as_of, now)
                );
            }
        }
        RegistryCommand::Import {
            name,
            files,
            mode,
            as_of,
            workspace,
        } => {
            let mode: registry::ImportMode = mode.parse().context("--mode")?;
            let as_of = as_of
                .map(|d| dispatcher::domain::time::parse_date(&d).map_err(anyhow::Error::msg))
                .transpose()
                .context("--as-of")?;
            let mut total = 0u64;
            for f in &files {
                total += std::fs::metadata(f)
                    .with_context(|| format!("reading {}", f.display()))?
                    .len();
            }
            let max = config.registries.max_import_bytes();
            if total > max {
                bail!(
                    "the files hold {total} bytes, over [registries] max_import_bytes ({max}); nothing was applied"
                );
            }
            let bar = if std::io::stderr().is_terminal() {
                let bar = ProgressBar::new(total);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {bytes}/{total_bytes} {bar:30} {bytes_per_sec} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            } else {
                ProgressBar::hidden()
            };
            let req = ImportRequest {
                name,
                mode,
                as_of,
                actor: format!("cli (workspace {workspace})"),
                max_bytes: max,
            };
            let progress = {
                let bar = bar.clone();
                move |bytes: u64, lines: u64| {
                    bar.set_position(bytes);
                    bar.set_message(format!("{lines} lines"));
                }
            };
            let summary = registries
                .import(&req, files_stream(files), &clock, &progress)
                .await;
            bar.finish_and_clear();
            let summary = summary?;
            if registries.needs_merge(&req.name) {
                registries.merge(&req.name, &clock).await?;
            }
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
    }
    Ok(())
}

/// The files' bytes, one after the other, in chunks.
fn files_stream(files: Vec<PathBuf>) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    futures::stream::iter(files)
        .then(|path| async move {
            let file = tokio::fs::File::open(&path).await;
            futures::stream::unfold(Some(file), |state| async move {
                let mut file = match state? {
                    Ok(f) => f,
                    Err(e) => return Some((Err(e), None)),
                };
                let mut buf = vec![0u8; READ_CHUNK];
                match file.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(Bytes::from(buf)), Some(Ok(file))))
                    }
                    Err(e) => Some((Err(e), None)),
                }
            })
        })
        .flatten()
        .boxed()
}
