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
    /// Follow the pull feed: print each event record of the built-in `feed` target as one JSON
    /// line, as it is committed (long poll on GET /_sluice/v1/events).
    ///
    /// Events reach the feed from buckets whose notification configuration names
    /// arn:sluice:sqs:REGION:feed:pull, and from URLs minted with --notify feed.
    ///
    /// Example: sluice events tail --bucket photos
    Tail(TailArgs),
}

/// `sluice events tail` arguments.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// Only this bucket's events.
    #[arg(long)]
    pub bucket: Option<String>,
    /// Start with the oldest event the feed still holds instead of the next one committed.
    #[arg(long)]
    pub from_start: bool,
    /// Start after this cursor (the `cursor` of an earlier answer; see --print-cursor).
    #[arg(long, conflicts_with = "from_start")]
    pub after: Option<String>,
    /// Stop after this many events.
    #[arg(long)]
    pub count: Option<u64>,
    /// Print the cursor on stderr after each answer, to resume with --after.
    #[arg(long)]
    pub print_cursor: bool,
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
        EventsCommand::Tail(t) => return tail(&client, t).await,
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

/// Seconds each long poll of `tail` waits.
const TAIL_WAIT: &str = "30";

/// Prints feed records as JSON lines until `count` of them or an error.
async fn tail(client: &AdminClient, args: TailArgs) -> Result<()> {
    use std::io::Write;
    let mut cursor = match (&args.after, args.from_start) {
        (Some(c), _) => c.clone(),
        (None, true) => "0".to_string(),
        (None, false) => "now".to_string(),
    };
    let mut printed = 0u64;
    loop {
        let mut query = vec![("after", cursor.as_str()), ("wait", TAIL_WAIT)];
        if let Some(b) = &args.bucket {
            query.push(("bucket", b.as_str()));
        }
        let answer = client
            .call_path("GET", "/_sluice/v1/events", &query, None)
            .await?;
        let mut out = std::io::stdout().lock();
        for record in answer["events"].as_array().into_iter().flatten() {
            if args.count.is_some_and(|n| printed >= n) {
                break;
            }
            writeln!(out, "{record}")?;
            printed += 1;
        }
        out.flush()?;
        if let Some(c) = answer["cursor"].as_str() {
            cursor = c.to_string();
        }
        if args.print_cursor {
            eprintln!("cursor {cursor}");
        }
        if args.count.is_some_and(|n| printed >= n) {
            return Ok(());
        }
    }
}
