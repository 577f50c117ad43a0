//! `sluice admin ...` argument definitions (the command shapes are a contract).

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `sluice admin` and its connection flags.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Endpoint, region and profile.
    #[command(flatten)]
    pub client: crate::aws_profile::ClientOverrides,
    /// What to manage.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// Admin subjects.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Users: create, delete, list.
    #[command(subcommand)]
    User(UserCommand),
    /// Access keys: create, enable, disable, delete, list.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Policies: create, attach, detach, list, show.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Notification targets (webhooks, NATS): create, list, delete.
    #[command(subcommand)]
    Target(TargetCommand),
    /// Upload check profiles: set, list, show, delete, apply, unapply.
    #[command(subcommand)]
    Checks(ChecksCommand),
}

/// `sluice admin checks ...`.
#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// Define (or replace) a check profile from a JSON file (`sniff`, `image`, `hook`); prints
    /// it (and a hook's secret, generated when the file gives none).
    Set {
        /// Profile name (1-64 of A-Z a-z 0-9 . _ -).
        name: String,
        /// The profile, JSON.
        file: PathBuf,
    },
    /// List profiles with where they apply.
    List,
    /// Show a profile and where it applies.
    Show {
        /// Profile name.
        name: String,
    },
    /// Delete a profile (it stops applying everywhere).
    Delete {
        /// Profile name.
        name: String,
    },
    /// Apply a profile to a bucket's uploads (under a key prefix).
    Apply {
        /// Profile name (not `profile`: that id is the global --profile flag).
        #[arg(value_name = "PROFILE")]
        name: String,
        /// The bucket.
        #[arg(long)]
        bucket: String,
        /// Only keys starting with this prefix (default: every key).
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Stop applying a profile to a bucket (prefix).
    Unapply {
        /// Profile name (not `profile`: that id is the global --profile flag).
        #[arg(value_name = "PROFILE")]
        name: String,
        /// The bucket.
        #[arg(long)]
        bucket: String,
        /// The prefix it was applied with.
        #[arg(long, default_value = "")]
        prefix: String,
    },
}

/// `sluice admin target ...`.
#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Define (or redefine) a notification target; prints JSON with its id, ARN and type (and a
    /// webhook's secret, generated when not given).
    Create {
        /// Target id (1-64 of A-Z a-z 0-9 - _).
        id: String,
        /// Deliver by HTTP POST to this URL, signed per Standard Webhooks.
        #[arg(long, conflicts_with = "nats", required_unless_present = "nats")]
        webhook: Option<String>,
        /// The webhook's signing secret, whsec_... (default: a new one, printed).
        #[arg(long, requires = "webhook")]
        secret: Option<String>,
        /// How long the webhook has to answer: seconds or 500ms, 10s, 1m.
        #[arg(long, requires = "webhook")]
        timeout: Option<String>,
        /// An extra header sent with every delivery, NAME:VALUE (repeatable).
        #[arg(long = "header", requires = "webhook")]
        headers: Vec<String>,
        /// Publish to this NATS server, nats://HOST:PORT.
        #[arg(long, requires = "subject")]
        nats: Option<String>,
        /// The NATS subject.
        #[arg(long, requires = "nats")]
        subject: Option<String>,
        /// Undelivered events beyond which --on-backlog applies.
        #[arg(long)]
        backlog_max: Option<u64>,
        /// At --backlog-max: `alert` (writes go on; logged and in the metrics) or `block` (writes
        /// that would emit to the target answer 503 SlowDown).
        #[arg(long, requires = "backlog_max", value_parser = ["alert", "block"])]
        on_backlog: Option<String>,
    },
    /// List targets.
    List,
    /// Delete a target (its undelivered events stay until it is defined again or they age out).
    Delete {
        /// Target id.
        id: String,
    },
}

/// `sluice admin user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Create {
        /// User name (1-64 of A-Z a-z 0-9 + = , . @ _ -).
        name: String,
    },
    /// Delete a user with its keys and policy attachments.
    Delete {
        /// User name.
        name: String,
    },
    /// List users.
    List,
}

/// `sluice admin key ...`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an access key; prints JSON with the secret (shown only once).
    Create {
        /// Owning user.
        user: String,
        /// Lifetime: seconds or 90s, 30m, 12h, 7d, 4w. Default: no expiry.
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// Enable a key.
    Enable {
        /// Access key id.
        access_key_id: String,
    },
    /// Disable a key: its signatures and presigned URLs stop working at once.
    Disable {
        /// Access key id.
        access_key_id: String,
    },
    /// Delete a key.
    Delete {
        /// Access key id.
        access_key_id: String,
    },
    /// List keys (of one user, or all).
    List {
        /// Only this user's keys.
        user: Option<String>,
    },
}

/// `sluice admin policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create or replace a policy from a JSON file.
    Create {
        /// Policy name.
        name: String,
        /// IAM JSON policy document.
        file: PathBuf,
    },
    /// Attach a policy to a user.
    Attach {
        /// Policy name.
        name: String,
        /// User to attach to.
        #[arg(long)]
        user: String,
    },
    /// Detach a policy from a user.
    Detach {
        /// Policy name.
        name: String,
        /// User to detach from.
        #[arg(long)]
        user: String,
    },
    /// List policies.
    List,
    /// Show a policy's document and the users it is attached to.
    Show {
        /// Policy name.
        name: String,
    },
}
