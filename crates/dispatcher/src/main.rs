//! `touchgate`: the daemon and its operator commands.

// A command-line program: printing to stdout is its output.
#![allow(clippy::print_stdout)]

use std::io::Read;

mod cli;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::{Parser, Subcommand};

use dispatcher::config::{Config, DEFAULT_WORKSPACE};
use dispatcher::daemon;
use dispatcher::domain::{DncBody, TouchBody, canonical_contact};
use dispatcher::store::{Store, TouchFilter, TouchStatus};

#[derive(Parser, Debug)]
#[command(
    name = "touchgate",
    version,
    about = "Outreach dispatcher with a mandatory compliance gate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// HTTP API + dispatcher + workers in one process.
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Read a touch (JSON, as for POST /v1/touches, optional "at") on stdin; print the gate's
    /// decision from the stored facts. Records nothing.
    Evaluate {
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
    /// Do-not-contact entries.
    Dnc {
        #[command(subcommand)]
        command: DncCommand,
    },
    /// Touches.
    Touches {
        #[command(subcommand)]
        command: TouchesCommand,
    },
    /// Scrub a CSV of numbers before upload: approved and rejected rows in two files.
    Scrub(cli::scrub::ScrubArgs),
    /// Registries: national and state Do-Not-Call lists, litigators, reassigned numbers.
    Registry {
        #[command(subcommand)]
        command: cli::registry::RegistryCommand,
    },
    /// The tamper-evident record: verify the audit chains, export them for an auditor.
    Audit {
        #[command(subcommand)]
        command: cli::audit::AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
enum DncCommand {
    /// Add an entry.
    Add {
        contact: String,
        #[arg(long, default_value = "*")]
        channel: String,
        #[arg(long, default_value = "customer_request")]
        reason: String,
        #[arg(long)]
        expires_at: Option<chrono::DateTime<Utc>>,
        #[arg(long, default_value = "cli")]
        added_by: String,
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
    /// List entries (for one contact, or all).
    List {
        contact: Option<String>,
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
    /// Remove an entry (soft, audited).
    Remove {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        by: String,
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
}

#[derive(Subcommand, Debug)]
enum TouchesCommand {
    /// List touches, newest first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        campaign_id: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// CSV instead of JSON lines.
        #[arg(long)]
        csv: bool,
        #[arg(long, default_value = DEFAULT_WORKSPACE)]
        workspace: String,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut config = Config::load().context("loading configuration")?;
    match cli.command {
        Command::Serve => {
            let listener = daemon::bind(&mut config)
                .await
                .context("binding the listen address")?;
            let (state, generated) = daemon::build_state(config).await.context("starting")?;
            if let Some(token) = generated {
                println!(
                    "No TOUCHGATE_OPERATOR_TOKEN or TOUCHGATE_SERVICE_TOKEN set; generated an operator token for workspace `default`:"
                );
                println!("  {token}");
            }
            daemon::recover(&state, true)
                .await
                .context("crash recovery")?;
            let router = dispatcher::api::router(state.clone());
            daemon::serve(state, router, listener)
                .await
                .context("serving")?;
        }
        Command::Migrate => {
            Store::connect(&config.database_url(), 1)
                .await
                .context("migrating")?;
            println!("database is up to date");
        }
        Command::Evaluate { workspace } => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input)?;
            let mut value: serde_json::Value =
                serde_json::from_str(&input).context("stdin is not JSON")?;
            let at = match value.as_object_mut().and_then(|o| o.remove("at")) {
                Some(serde_json::Value::String(v)) => dispatcher::domain::time::parse_instant(&v)
                    .map_err(anyhow::Error::msg)
                    .context("`at`")?,
                Some(_) => bail!("`at` is not an RFC 3339 instant"),
                None => Utc::now(),
            };
            let touch: TouchBody = dispatcher::api::strict_json::from_value(&value)
                .map_err(|e| anyhow::anyhow!("not a touch: {}", e.body().error.message))?;
            let dispatcher = daemon::build_dispatcher(config).await.context("starting")?;
            let decision = dispatcher.evaluate(&workspace, &touch, at).await?;
            println!("{}", serde_json::to_string_pretty(&decision)?);
        }
        Command::Dnc { command } => dnc(&config, command).await?,
        Command::Registry { command } => cli::registry::run(&config, command).await?,
        Command::Scrub(args) => cli::scrub::run(&config, args).await?,
        Command::Audit { command } => cli::audit::run(&config, command).await?,
        Command::Touches {
            command:
                TouchesCommand::List {
                    status,
                    reason,
                    channel,
                    campaign_id,
                    limit,
                    csv,
                    workspace,
                },
        } => {
            let store = Store::connect(&config.database_url(), 2).await?;
            let status = status
                .map(|s| s.parse::<TouchStatus>())
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let filter = TouchFilter {
                status,
                reason,
                channel,
                campaign_id,
                ..TouchFilter::default()
            };
            let rows = store.list_touches(&workspace, &filter, limit, None).await?;
            if csv {
                let stdout = std::io::stdout().lock();
                let mut stdout = dispatcher::export::write_touches(stdout, true, &rows)?;
                std::io::Write::flush(&mut stdout)?;
            } else {
                for t in rows {
                    println!("{}", serde_json::to_string(&t)?);
                }
            }
        }
    }
    Ok(())
}

async fn dnc(config: &Config, command: DncCommand) -> Result<()> {
    let store = Store::connect(&config.database_url(), 2).await?;
    match command {
        DncCommand::Add {
            contact,
            channel,
            reason,
            expires_at,
            added_by,
            workspace,
        } => {
            let ws = config.workspace(&workspace);
            let contact = canonical_contact(&contact, &ws.default_region, "contact")
                .map_err(anyhow::Error::msg)?;
            let body = DncBody {
                contact: Some(contact.clone()),
                lead_id: None,
                channel: channel
                    .parse()
                    .map_err(|e: gate::ParseError| anyhow::anyhow!("--channel: {e}"))?,
                reason: reason
                    .parse()
                    .map_err(|e: gate::ParseError| anyhow::anyhow!("--reason: {e}"))?,
                source: Some("cli".to_owned()),
                added_by: Some(added_by),
                expires_at,
            };
            if expires_at.is_some_and(|e| e <= Utc::now()) {
                bail!("--expires-at is in the past");
            }
            let row = store
                .add_dnc(
                    &workspace,
                    &uuid::Uuid::now_v7().to_string(),
                    &body,
                    Some(&contact),
                    Utc::now(),
                )
                .await?;
            println!("{}", serde_json::to_string_pretty(&row)?);
        }
        DncCommand::List { contact, workspace } => {
            let ws = config.workspace(&workspace);
            let contact = contact
                .map(|c| canonical_contact(&c, &ws.default_region, "contact"))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            for row in store
                .list_dnc(&workspace, contact.as_deref(), 10_000)
                .await?
            {
                println!("{}", serde_json::to_string(&row)?);
            }
        }
        DncCommand::Remove {
            id,
            reason,
            by,
            workspace,
        } => {
            if !store
                .remove_dnc(&workspace, &id, &by, &reason, Utc::now())
                .await?
            {
                bail!("no DNC entry {id} in workspace {workspace}");
            }
            println!("removed {id}");
        }
    }
    Ok(())
}
