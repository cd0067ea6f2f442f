//! `touchgate scrub IN.csv --phone-column phone [--channel call] [--purpose marketing]
//! --approved OUT.csv --rejected REJ.csv [--workspace W]`: the API's scrub, on files, with a
//! progress bar when stderr is a terminal; the run is recorded (`GET /v1/scrubs`).

use std::io::{BufReader, BufWriter, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use dispatcher::config::{Config, DEFAULT_WORKSPACE};
use dispatcher::registries::Registries;
use dispatcher::scrub::{Output, Scrubber};
use dispatcher::store::{ScrubRow, Store};

#[derive(Args, Debug)]
pub struct ScrubArgs {
    /// The CSV to scrub (headers on the first line).
    input: PathBuf,
    /// The column holding the phone number.
    #[arg(long)]
    phone_column: String,
    #[arg(long, default_value = "call")]
    channel: String,
    #[arg(long, default_value = "marketing")]
    purpose: String,
    /// Rows that may be contacted, as read.
    #[arg(long)]
    approved: PathBuf,
    /// Rows that may not, with `reason` and `detail`.
    #[arg(long)]
    rejected: PathBuf,
    #[arg(long, default_value = DEFAULT_WORKSPACE)]
    workspace: String,
}

pub async fn run(config: &Config, a: ScrubArgs) -> Result<()> {
    let channel: gate::Channel = a.channel.parse().context("--channel")?;
    let purpose = match a.purpose.as_str() {
        "marketing" => gate::Purpose::Marketing,
        "transactional" => gate::Purpose::Transactional,
        other => anyhow::bail!("--purpose: unknown purpose `{other}` (marketing or transactional)"),
    };
    let store = Store::connect(&config.database_url(), 2).await?;
    let registries = Registries::load(store.clone(), "cli")
        .await
        .context("loading the registries")?
        .snapshot();
    let dnc = store.dnc_contacts(&a.workspace).await?;
    let settings = config.workspace(&a.workspace);
    let now = chrono::Utc::now();
    let scrubber = Scrubber::new(
        channel,
        purpose,
        &settings.default_region,
        dnc,
        registries,
        now,
    )
    .with_privacy(store.privacy().clone());
    let input =
        std::fs::File::open(&a.input).with_context(|| format!("opening {}", a.input.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let approved = std::fs::File::create(&a.approved)
        .with_context(|| format!("creating {}", a.approved.display()))?;
    let rejected = std::fs::File::create(&a.rejected)
        .with_context(|| format!("creating {}", a.rejected.display()))?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} {bar:30} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let progress_bar = bar.clone();
    let phone_column = a.phone_column.clone();
    let counts = tokio::task::spawn_blocking(move || {
        scrubber
            .open(BufReader::with_capacity(1 << 20, input), &phone_column)?
            .write(
                Output::Split {
                    approved: BufWriter::with_capacity(1 << 20, approved),
                    rejected: BufWriter::with_capacity(1 << 20, rejected),
                },
                &|bytes| progress_bar.set_position(bytes),
            )
    })
    .await??;
    bar.finish_and_clear();
    store
        .record_scrub(
            &a.workspace,
            &ScrubRow {
                id: uuid::Uuid::now_v7().to_string(),
                at: now,
                actor: "cli".to_owned(),
                channel: channel.as_str().to_owned(),
                purpose: a.purpose.clone(),
                rows: i64::try_from(counts.rows).unwrap_or(i64::MAX),
                approved: i64::try_from(counts.approved).unwrap_or(i64::MAX),
                rejected: i64::try_from(counts.rejected).unwrap_or(i64::MAX),
                by_reason: serde_json::to_value(&counts.by_reason)?,
            },
        )
        .await?;
    println!("{}", serde_json::to_string_pretty(&counts)?);
    Ok(())
}
