//! The `sluice` binary: `serve`, `presign`, `upload`, `admin` and `completions`.

mod admin_cli;
mod admin_client;
mod admin_cmd;
mod aws_profile;
mod check_cmd;
mod cli;
mod constraint_args;
mod duration_arg;
mod events_cmd;
mod grants_cmd;
mod malloc_tuning;
mod presign_cmd;
mod presign_post;
mod progress;
mod s3_client;
mod s3_target;
mod serve_cmd;
mod serve_config;
mod serve_cors;
mod size_arg;
mod upload;

use clap::Parser;
use cli::{Cli, Command};
use serve_config::LogFormat;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => {
            let print = args.print_config;
            match serve_config::merge(args) {
                Err(e) => Err(e),
                Ok(settings) if print => {
                    print!("{}", settings.to_toml());
                    Ok(())
                }
                Ok(settings) => {
                    malloc_tuning::limit_arenas();
                    init_logging("info", settings.log_format);
                    block_on(serve_cmd::run(settings.server))
                }
            }
        }
        Command::Presign(args) => {
            init_logging("warn", LogFormat::Text);
            presign_cmd::run(args)
        }
        Command::Upload(args) => {
            init_logging("warn", LogFormat::Text);
            block_on(upload::run(args))
        }
        Command::Check { data_dir, repair } => {
            init_logging("warn", LogFormat::Text);
            match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => match rt.block_on(check_cmd::run(&data_dir, repair)) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(anyhow::anyhow!("problems found in {}", data_dir.display())),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.into()),
            }
        }
        Command::Grants(args) => {
            init_logging("warn", LogFormat::Text);
            block_on(grants_cmd::run(args))
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "sluice", &mut std::io::stdout());
            Ok(())
        }
        Command::Admin(args) => {
            init_logging("warn", LogFormat::Text);
            block_on(admin_cmd::run(args))
        }
        Command::Events(args) => {
            init_logging("warn", LogFormat::Text);
            block_on(events_cmd::run(args))
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {}", one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `: `-separated, skipping a cause whose text the
/// message before it already ends with (errors that print their source themselves).
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `default_filter`); colour codes only when
/// stderr is a terminal (a log file or journal gets plain text).
fn init_logging(default_filter: &str, format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Runs a future on a multi-threaded runtime.
fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
