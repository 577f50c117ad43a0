//! The accept loop both listeners (S3 and console) run: a cap on open connections, an optional TLS
//! handshake, HTTP/1.1 with a header-read timeout, and a graceful drain on shutdown.

use crate::net::response::ResponseBody;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Most header lines in one request (hyper answers 431 beyond this).
const MAX_HEADERS: usize = 100;

/// How a listener accepts and serves connections.
#[derive(Clone)]
pub struct AcceptConfig {
    /// Most connections open at once; at the cap, new clients wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time allowed for a request's headers (and a TLS handshake) to arrive.
    pub header_timeout: Duration,
    /// After shutdown, how long open connections may finish their requests.
    pub grace: Duration,
    /// TLS, when the listener serves HTTPS.
    pub tls: Option<TlsAcceptor>,
    /// The listener's name in log lines ("s3", "console").
    pub name: &'static str,
}

/// Serves `listener` with `handler` until `shutdown` turns true, then drains open connections for at
/// most the grace period.
pub async fn accept_loop<H, F>(
    listener: TcpListener,
    config: AcceptConfig,
    handler: H,
    mut shutdown: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(listener = config.name, error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let watcher = graceful.watcher();
                let handler = handler.clone();
                let config = config.clone();
                crate::metrics::connections(1.0);
                tokio::spawn(async move {
                    match &config.tls {
                        None => serve_connection(stream, false, &config, handler, remote, watcher).await,
                        Some(acceptor) => {
                            // The handshake shares the slow-header budget.
                            match tokio::time::timeout(config.header_timeout, acceptor.accept(stream)).await {
                                Ok(Ok(tls_stream)) => {
                                    serve_connection(tls_stream, true, &config, handler, remote, watcher).await
                                }
                                Ok(Err(e)) => tracing::debug!(error = %e, %remote, "TLS handshake failed"),
                                Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                            }
                        }
                    }
                    crate::metrics::connections(-1.0);
                    drop(permit);
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    tracing::info!(
        listener = config.name,
        "shutting down: waiting for in-flight requests"
    );
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!(listener = config.name, "all connections closed"),
        _ = tokio::time::sleep(config.grace) => {
            tracing::warn!(listener = config.name, "grace period over; closing remaining connections")
        }
    }
}

/// Serves HTTP/1.1 on one accepted connection (plain or TLS) until it closes.
async fn serve_connection<I, H, F>(
    io: I,
    over_tls: bool,
    config: &AcceptConfig,
    handler: H,
    remote: SocketAddr,
    watcher: Watcher,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let service = service_fn(move |mut req: Request<Incoming>| {
        if over_tls {
            req.extensions_mut().insert(crate::net::tls::OverTls);
        }
        let response = handler(req, remote);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_headers(MAX_HEADERS)
        .serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(error = %e, "connection ended with error");
    }
}
