//! The `sluice` binary: `serve`, `presign` and `upload`.

mod aws_profile;
mod cli;
mod duration_arg;
mod presign_cmd;
mod progress;
mod s3_client;
mod serve_cmd;
mod serve_config;
mod size_arg;
mod upload;

use clap::Parser;
use cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The server logs every request; the client commands only say what went wrong.
    let default_filter = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Presign(args) => presign_cmd::run(args),
        Command::Serve(args) => block_on(serve_cmd::run(args)),
        Command::Upload(args) => block_on(upload::run(args)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs a future on a multi-threaded runtime.
fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
