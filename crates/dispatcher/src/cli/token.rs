//! `touchgate token create --workspace W --role operator|service|admin [--name N]`,
//! `touchgate token list` and `touchgate token revoke ID`: database tokens
//! ([`dispatcher::tokens`]). The secret is printed once, alone on stdout (so
//! `TOKEN=$(touchgate token create …)` works); only its SHA-256 is stored.

use anyhow::{Result, bail};
use chrono::Utc;
use clap::Subcommand;

use dispatcher::config::{Config, Role};
use dispatcher::store::Store;
use dispatcher::tokens::{NewToken, UNNAMED};

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make a token and print its secret (shown only this once).
    Create {
        #[arg(long)]
        workspace: String,
        /// `operator`, `service` or `admin`.
        #[arg(long)]
        role: String,
        /// Who or what holds it (shown in audit rows and the console).
        #[arg(long)]
        name: Option<String>,
    },
    /// Every token: id, workspace, role, name, created, revoked (never a secret).
    List,
    /// Revoke a token: it stops working at once, and its console sessions end.
    Revoke { id: String },
}

pub async fn run(config: &Config, command: TokenCommand) -> Result<()> {
    let store = Store::connect(&config.database_url(), 2).await?;
    match command {
        TokenCommand::Create {
            workspace,
            role,
            name,
        } => {
            let role = Role::parse(role.trim()).map_err(anyhow::Error::msg)?;
            let workspace = workspace.trim();
            if workspace.is_empty() || workspace.len() > 255 {
                bail!("--workspace: give a workspace name of 1 to 255 bytes");
            }
            let name = name.as_deref().map_or(UNNAMED, str::trim);
            if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
                bail!("--name: 1 to 200 printable characters");
            }
            let token = NewToken::generate(workspace, role, name, Utc::now());
            store.insert_token(&token.record, &token.hash()).await?;
            eprintln!(
                "created token {} ({} of workspace {workspace}, named {name}); the secret below is shown only this once:",
                token.record.id,
                role.as_str()
            );
            println!("{}", token.secret);
        }
        TokenCommand::List => {
            println!("id\tworkspace\trole\tname\tcreated_at\trevoked_at");
            for t in store.list_tokens().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.workspace,
                    t.role.as_str(),
                    t.name,
                    t.created_at.to_rfc3339(),
                    t.revoked_at.map(|r| r.to_rfc3339()).unwrap_or_default()
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_token(id.trim(), Utc::now()).await? {
                bail!("no unrevoked token {id}");
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
