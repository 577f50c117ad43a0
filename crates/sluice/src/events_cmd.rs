//! `sluice events ...`: the notification dead-letter table and backlog, through the admin API.

use crate::admin_client::AdminClient;
use crate::aws_profile::resolve;
use anyhow::Result;
use clap::{Args, Subcommand};

/// `sluice events` arguments.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Endpoint, region and profile.
    #[command(flatten)]
    pub client: crate::aws_profile::ClientOverrides,
    /// What to do.
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// `sluice events ...`.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Events that could not be delivered within max_age: list, replay, purge.
    #[command(subcommand)]
    Dead(DeadCommand),
    /// Undelivered events per target and the age of the oldest.
    Backlog,
}

/// `sluice events dead ...`.
#[derive(Debug, Subcommand)]
pub enum DeadCommand {
    /// List dead letters, oldest first.
    ///
    /// Example: sluice events dead list --target orders
    List {
        /// Only this target's.
        #[arg(long)]
        target: Option<String>,
    },
    /// Put dead letters back in the outbox, in their order, to be delivered again.
    Replay {
        /// Only this target's.
        #[arg(long)]
        target: Option<String>,
    },
    /// Drop dead letters for good.
    Purge {
        /// Only this target's.
        #[arg(long)]
        target: Option<String>,
    },
}

/// Runs an events command and prints the server's JSON answer.
pub async fn run(args: EventsArgs) -> Result<()> {
    let client = AdminClient::new(resolve(&args.client)?)?;
    let answer = match args.command {
        EventsCommand::Backlog => {
            client
                .call("GET", &["events", "backlog"], None, None)
                .await?
        }
        EventsCommand::Dead(c) => {
            let (method, path, target): (&str, &[&str], Option<String>) = match c {
                DeadCommand::List { target } => ("GET", &["events", "dead"], target),
                DeadCommand::Replay { target } => ("POST", &["events", "dead", "replay"], target),
                DeadCommand::Purge { target } => ("DELETE", &["events", "dead"], target),
            };
            let query = target.as_deref().map(|t| ("target", t));
            client.call(method, path, query, None).await?
        }
    };
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}
