//! `sluice serve`: run the server until SIGTERM or SIGINT.

use anyhow::Result;
use sluice_server::{RootSource, ServerConfig};

/// Runs the server in the foreground.
pub async fn run(config: ServerConfig) -> Result<()> {
    let data_dir = config.data_dir.clone();
    let scheme = if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    // Before anything is printed: a SIGTERM sent as soon as "listening" appears must find the
    // handler in place (the default action would kill the process without a graceful stop).
    let stop = StopSignals::install();
    let server = sluice_server::start(config).await?;
    if server.root_source == RootSource::Generated {
        // On stdout, apart from the logs, in plain text: the only time these are shown.
        // Generating them is the last step of a start that can fail, so they are never stored
        // without being printed here.
        println!();
        println!(
            "  Generated root credentials (shown once; also stored in {}/root-credentials.json, mode 0600):",
            data_dir.display()
        );
        println!("    AWS_ACCESS_KEY_ID={}", server.root.access_key_id);
        println!(
            "    AWS_SECRET_ACCESS_KEY={}",
            server.root.secret_access_key
        );
        println!();
    }
    tracing::info!(addr = %server.local_addr, data_dir = %data_dir.display(), "sluice listening");
    println!("sluice listening on {scheme}://{}", server.local_addr);
    if let Some(console) = server.console_addr {
        tracing::info!(addr = %console, "web console listening");
        println!("sluice web console on http://{console}/");
        if let Some(warning) = server.console_cors_warning().await {
            tracing::warn!("{warning}");
        }
    }
    let trigger = server.shutdown_trigger();
    tokio::spawn(async move {
        stop.wait().await;
        tracing::info!("signal received, shutting down");
        let _ = trigger.send(true);
    });
    server.wait().await;
    Ok(())
}

/// SIGTERM and SIGINT, caught from the moment they are installed.
struct StopSignals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn install() -> StopSignals {
        use tokio::signal::unix::{signal, SignalKind};
        StopSignals {
            term: signal(SignalKind::terminate()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn wait(self) {
        match (self.term, self.int) {
            (Some(mut term), Some(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}
