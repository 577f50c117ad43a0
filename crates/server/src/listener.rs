//! Starting the server: open storage, bind, accept connections, shut down gracefully.

use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::root_credentials::{load_or_create, RootCredentials, RootCredentialsError, RootSource};
use crate::service::handle_request;
use crate::state::AppState;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use sluice_sigv4::SigningKeyCache;
use sluice_store::{BlobStore, DataDirLock, MetaStore};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Most header lines in one request (hyper answers 431 beyond this).
const MAX_HEADERS: usize = 100;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data dir or stores could not be opened.
    #[error("opening storage in {dir}: {source}")]
    Storage {
        /// Data directory.
        dir: String,
        /// Cause.
        source: sluice_store::StoreError,
    },
    /// Another process (or server) holds the data dir.
    #[error(transparent)]
    Locked(#[from] sluice_store::DataDirLockError),
    /// Root credentials problem.
    #[error(transparent)]
    Root(#[from] RootCredentialsError),
    /// Server key problem.
    #[error(transparent)]
    ServerKey(#[from] crate::server_key::ServerKeyError),
    /// TLS certificate or key problem.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Only one of the TLS certificate and key was given.
    #[error("TLS needs both a certificate and a key (--tls-cert and --tls-key)")]
    TlsIncomplete,
    /// Could not bind the listen address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// A running server.
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub local_addr: SocketAddr,
    /// The web console's bound address, when the console is on.
    pub console_addr: Option<SocketAddr>,
    /// The server's clock (tests shift it).
    pub clock: Clock,
    /// Root credentials in force.
    pub root: RootCredentials,
    /// Where they came from (the binary prints generated ones once).
    pub root_source: RootSource,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    state: Arc<AppState>,
    /// Held until the server is shut down or dropped.
    _lock: DataDirLock,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (bounded by the grace period), returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Waits until the server stops (after [`RunningServer::shutdown`] from elsewhere or a fatal error).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// Runs the background housekeeping now (stale uploads, completed-upload records, expired
    /// grants, then orphan blobs older than
    /// `orphan_cutoff`); returns (uploads aborted, blobs removed).
    pub async fn run_housekeeping(
        &self,
        orphan_cutoff: SystemTime,
    ) -> Result<(usize, usize), sluice_store::StoreError> {
        let aborted = sweep_stale_uploads(&self.state).await?;
        sweep_completed_uploads(&self.state).await?;
        sweep_expired_grants(&self.state).await?;
        let removed =
            sluice_store::sweep_orphans(&*self.state.meta, &*self.state.blobs, orphan_cutoff)
                .await?;
        Ok((aborted, removed))
    }

    /// With the web console on: the startup warning when no CORS rule lets the console's
    /// pages upload to the S3 listener (see [`crate::cors::console_upload_warning`]).
    pub async fn console_cors_warning(&self) -> Option<String> {
        let console = self.console_addr?;
        crate::cors::console_upload_warning(&self.state, console).await
    }

    /// A handle that triggers shutdown.
    pub fn shutdown_trigger(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// A function that wraps the opened stores before the server uses them.
#[doc(hidden)]
pub type StoreWrapper = Box<
    dyn FnOnce(Arc<dyn MetaStore>, Arc<dyn BlobStore>) -> (Arc<dyn MetaStore>, Arc<dyn BlobStore>)
        + Send,
>;

/// Opens storage, binds the listener and starts serving in the background.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    start_inner(config, None).await
}

/// Like [`start`], with the stores passed through `wrap` first. Tests use this to inject
/// faults (`sluice_store::fault`); the binary never calls it.
#[doc(hidden)]
pub async fn start_with_store_wrapper(
    config: ServerConfig,
    wrap: StoreWrapper,
) -> Result<RunningServer, StartError> {
    start_inner(config, Some(wrap)).await
}

async fn start_inner(
    config: ServerConfig,
    wrap: Option<StoreWrapper>,
) -> Result<RunningServer, StartError> {
    // Every start condition is checked before anything is written to the data dir beyond its
    // lock, and root credentials are generated last, so a failed start loses nothing the
    // operator never saw.
    let lock = DataDirLock::acquire(&config.data_dir)?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::load_acceptor(cert, key)?),
        (None, None) => None,
        _ => return Err(StartError::TlsIncomplete),
    };
    if config.root_access_key.is_some() != config.root_secret_key.is_some() {
        return Err(RootCredentialsError::HalfConfigured.into());
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let console_listener = bind_console(&config).await?;
    let dir = config.data_dir.display().to_string();
    let storage_err = |source| StartError::Storage {
        dir: dir.clone(),
        source,
    };
    let stores = sluice_store::open(&sluice_store::StoreConfig::Embedded {
        data_dir: config.data_dir.clone(),
        inline_max: config.inline_max_bytes,
    })
    .await
    .map_err(storage_err)?;
    // Under the data dir's lock: no other process has uploads in progress there.
    stores.blobs.clean_temp().await.map_err(storage_err)?;
    let sluice_store::Stores {
        meta,
        blobs,
        access,
    } = stores;
    let (meta, blobs) = match wrap {
        Some(wrap) => wrap(meta, blobs),
        None => (meta, blobs),
    };
    let grant_owner = crate::grant_use::new_owner(&config.node_id);
    // Reservations an earlier run of this node left (it crashed mid-request) are released
    // now: no request of that process can still be running.
    match access
        .reclaim_reservations_of_earlier_runs(&grant_owner)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            released = n,
            "grant uses reserved by an earlier run released"
        ),
        Err(source) => {
            return Err(StartError::Storage {
                dir: dir.clone(),
                source,
            })
        }
    }
    let server_key = crate::server_key::ServerKey::load_or_create(&config.data_dir)?;
    let (root, root_source) = load_or_create(
        &config.data_dir,
        config.root_access_key.as_deref(),
        config.root_secret_key.as_deref(),
    )?;
    crate::metrics::init();
    let clock = Clock::system();
    let grace = config.shutdown_grace;
    let config_budget = config.max_inflight_body_bytes;
    let state = Arc::new(AppState {
        config,
        meta,
        blobs,
        clock: clock.clone(),
        key_cache: SigningKeyCache::new(1024),
        root: root.clone(),
        access,
        server_key,
        policy_cache: Default::default(),
        body_budget: crate::body_budget::BodyBudget::new(config_budget),
        grant_owner,
    });
    spawn_orphan_sweep(state.clone());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let console_addr = match console_listener {
        Some((l, addr)) => {
            let console = Arc::new(crate::console::ConsoleState::new(state.clone(), local_addr));
            tokio::spawn(crate::console::serve(l, console, shutdown_rx.clone()));
            Some(addr)
        }
        None => None,
    };
    let task = tokio::spawn(accept_loop(
        listener,
        tls,
        state.clone(),
        shutdown_rx,
        grace,
    ));

    Ok(RunningServer {
        local_addr,
        console_addr,
        clock,
        root,
        root_source,
        shutdown: shutdown_tx,
        task,
        state,
        _lock: lock,
    })
}

/// Binds the console listener when the console is configured.
async fn bind_console(
    config: &ServerConfig,
) -> Result<Option<(TcpListener, SocketAddr)>, StartError> {
    let Some(addr) = config.console_listen else {
        return Ok(None);
    };
    let bind_err = |source| StartError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let bound = listener.local_addr().map_err(bind_err)?;
    Ok(Some((listener, bound)))
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(
        state.config.max_connections.max(1),
    ));
    let header_timeout = state.config.header_read_timeout;
    loop {
        // At the connection cap, stop accepting: new clients wait in the kernel's backlog.
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
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let watcher = graceful.watcher();
                let tls = tls.clone();
                crate::metrics::connections(1.0);
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(stream, false, state, remote, watcher).await,
                        Some(acceptor) => {
                            // The handshake shares the slow-header budget.
                            match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                                Ok(Ok(tls_stream)) => {
                                    serve_connection(tls_stream, true, state, remote, watcher).await
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
    tracing::info!("shutting down: waiting for in-flight requests");
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing remaining connections"),
    }
}

/// Serves HTTP/1.1 on one accepted connection (plain or TLS) until it closes.
async fn serve_connection<I>(
    io: I,
    over_tls: bool,
    state: Arc<AppState>,
    remote: SocketAddr,
    watcher: Watcher,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = state.config.header_read_timeout;
    let service = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        let state = state.clone();
        if over_tls {
            req.extensions_mut().insert(crate::tls::OverTls);
        }
        async move { Ok::<_, std::convert::Infallible>(handle_request(&state, req, remote).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_headers(MAX_HEADERS)
        .serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(error = %e, "connection ended with error");
    }
}

/// Background housekeeping, once at start and then hourly: aborts stale multipart uploads,
/// forgets old completed ones, deletes expired grants and removes blobs nothing references.
fn spawn_orphan_sweep(state: Arc<AppState>) {
    tokio::spawn(async move {
        loop {
            match sweep_stale_uploads(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(aborted = n, "stale multipart uploads aborted"),
                Err(e) => tracing::warn!(error = %e, "stale upload sweep failed"),
            }
            match sweep_completed_uploads(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(pruned = n, "completed upload records pruned"),
                Err(e) => tracing::warn!(error = %e, "completed upload prune failed"),
            }
            match sweep_expired_grants(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired grants deleted"),
                Err(e) => tracing::warn!(error = %e, "grant sweep failed"),
            }
            let cutoff = SystemTime::now() - Duration::from_secs(60);
            match sluice_store::sweep_orphans(&*state.meta, &*state.blobs, cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "orphan blobs removed"),
                Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}

/// How long a grant (and its audit trail) is kept after its URLs expired.
pub const GRANT_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Releases grant reservations past their deadline (their requests died with a process), then
/// deletes grants whose URLs expired more than [`GRANT_RETENTION_MS`] ago and hold no
/// reservation; returns how many grants it deleted.
pub async fn sweep_expired_grants(state: &AppState) -> Result<u64, sluice_store::StoreError> {
    let now = state.clock.now_ms();
    let released = state.access.reclaim_lapsed_reservations(now).await?;
    if released > 0 {
        tracing::info!(released, "lapsed grant reservations released");
    }
    state
        .access
        .delete_expired_grants(now.saturating_sub(GRANT_RETENTION_MS))
        .await
}

/// Forgets completed multipart uploads older than any of their URLs can live (a retried
/// completion of one of them answers NoSuchUpload from then on); returns how many.
pub async fn sweep_completed_uploads(state: &AppState) -> Result<u64, sluice_store::StoreError> {
    let before = state
        .clock
        .now_ms()
        .saturating_sub(crate::ops::multipart::complete::COMPLETED_RETENTION_MS);
    state.meta.prune_completed_uploads(before).await
}

/// Aborts uploads older than the configured age and frees their parts; returns how many.
pub async fn sweep_stale_uploads(state: &AppState) -> Result<usize, sluice_store::StoreError> {
    let age_ms = i64::try_from(state.config.stale_upload_age.as_millis()).unwrap_or(i64::MAX);
    let before = state.clock.now_ms().saturating_sub(age_ms);
    let mut aborted = 0;
    loop {
        let stale = state.meta.stale_uploads(before, 100).await?;
        if stale.is_empty() {
            return Ok(aborted);
        }
        for upload in stale {
            match state.meta.abort_upload(&upload.upload_id).await {
                Ok(blobs) => {
                    for b in blobs {
                        let _ = state.blobs.delete(&b).await;
                    }
                    aborted += 1;
                }
                Err(sluice_store::StoreError::NoSuchUpload) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
