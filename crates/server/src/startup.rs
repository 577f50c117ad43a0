//! Starting the server: check the start conditions, open storage, bind both listeners, start the
//! housekeeping; and the handle that shuts it all down gracefully.

use crate::auth::root_credentials::{
    load_or_create, RootCredentials, RootCredentialsError, RootSource,
};
use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::net::accept::{accept_loop, AcceptConfig};
use crate::pipeline::handle_request;
use crate::state::AppState;
use sluice_sigv4::SigningKeyCache;
use sluice_store::{AccessStore, BlobStore, DataDirLock, MetaStore};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

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
    ServerKey(#[from] crate::auth::server_key::ServerKeyError),
    /// TLS certificate or key problem.
    #[error(transparent)]
    Tls(#[from] crate::net::tls::TlsError),
    /// A check profile of the configuration file is invalid.
    #[error(transparent)]
    CheckProfile(#[from] crate::checks::configured::ConfiguredProfileError),
    /// A notification target of the configuration file is invalid.
    #[error("notification target {id}: {message}")]
    Target {
        /// Target id.
        id: String,
        /// What is wrong.
        message: String,
    },
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
    console_task: Option<JoinHandle<()>>,
    state: Arc<AppState>,
    /// Held until the server is shut down or dropped.
    _lock: DataDirLock,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (bounded by the grace period), returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        self.wait().await;
    }

    /// Waits until the server stops (after [`RunningServer::shutdown`] from elsewhere or a fatal error).
    pub async fn wait(self) {
        let _ = self.task.await;
        if let Some(console) = self.console_task {
            let _ = console.await;
        }
    }

    /// Runs the background housekeeping now (stale uploads, completed-upload records, expired
    /// grants, then orphan blobs older than
    /// `orphan_cutoff`); returns (uploads aborted, blobs removed).
    pub async fn run_housekeeping(
        &self,
        orphan_cutoff: SystemTime,
    ) -> Result<(usize, usize), sluice_store::StoreError> {
        crate::housekeeping::run_now(&self.state, orphan_cutoff).await
    }

    /// Runs one housekeeping round as the background loop does (each task only if this node takes its
    /// lease); returns the names of the tasks that ran.
    #[doc(hidden)]
    pub async fn housekeeping_round(&self) -> Vec<&'static str> {
        crate::housekeeping::run_round(&self.state)
            .await
            .into_iter()
            .map(|t| t.name())
            .collect()
    }

    /// With the web console on: the startup warning when no CORS rule lets the console's
    /// pages upload to the S3 listener (see [`crate::net::cors::console_upload_warning`]).
    pub async fn console_cors_warning(&self) -> Option<String> {
        let console = self.console_addr?;
        crate::net::cors::console_upload_warning(&self.state, console).await
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

/// Starts in an order that loses nothing: every start condition is checked before anything is
/// written to the data dir beyond its lock, and root credentials are generated last, so a failed
/// start loses nothing the operator never saw.
async fn start_inner(
    config: ServerConfig,
    wrap: Option<StoreWrapper>,
) -> Result<RunningServer, StartError> {
    let lock = DataDirLock::acquire(&config.data_dir)?;
    let started_at = std::time::SystemTime::now();
    let tls = check_tls_and_root(&config)?;
    let targets = configured_targets(&config)?;
    let profiles =
        crate::checks::configured::records(&config.check_profiles, Clock::system().now_ms())?;
    let (listener, local_addr) = bind(config.listen).await?;
    let console_listener = match config.console_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let (meta, blobs, access) = open_stores(&config, wrap).await?;
    let grant_owner = crate::auth::grant_use::new_owner(&config.node_id);
    reclaim_earlier_reservations(&config, &*access, &grant_owner).await?;
    define_targets(&config, &*access, &targets).await?;
    for p in &profiles {
        access
            .put_check_profile(p)
            .await
            .map_err(|source| storage_error(&config, source))?;
    }
    let server_key = crate::auth::server_key::ServerKey::load_or_create(&config.data_dir)?;
    let (root, root_source) = load_or_create(
        &config.data_dir,
        config.root_access_key.as_deref(),
        config.root_secret_key.as_deref(),
    )?;
    crate::metrics::init();
    let clock = Clock::system();
    let body_budget = crate::body::body_budget::BodyBudget::new(config.max_inflight_body_bytes);
    let (shutdown, shutdown_rx) = watch::channel(false);
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
        body_budget,
        grant_owner,
        delivery_wake: Default::default(),
        notify_configs: Default::default(),
        checks: Default::default(),
        pending_reads: Default::default(),
        tus_locks: Default::default(),
        notify_backlogs: Default::default(),
        started_at,
        stopping: shutdown_rx.clone(),
    });
    crate::housekeeping::spawn(state.clone());
    crate::notify::delivery::spawn(state.clone());
    let console_addr = console_listener.as_ref().map(|(_, addr)| *addr);
    let console_task = console_listener.map(|(l, _)| {
        let console = Arc::new(crate::console::ConsoleState::new(state.clone(), local_addr));
        let handler = move |req, remote| {
            let console = console.clone();
            async move { crate::console::handle(&console, req, remote).await }
        };
        let accept = accept_config(&state.config, "console", None);
        tokio::spawn(accept_loop(l, accept, handler, shutdown_rx.clone()))
    });
    let handler = {
        let state = state.clone();
        move |req, remote| {
            let state = state.clone();
            async move { handle_request(&state, req, remote).await }
        }
    };
    let accept = accept_config(&state.config, "s3", tls);
    let task = tokio::spawn(accept_loop(listener, accept, handler, shutdown_rx));
    Ok(RunningServer {
        local_addr,
        console_addr,
        clock,
        root,
        root_source,
        shutdown,
        task,
        console_task,
        state,
        _lock: lock,
    })
}
/// The TLS acceptor when both certificate and key are configured; refuses half a TLS or root
/// configuration before anything is written.
fn check_tls_and_root(config: &ServerConfig) -> Result<Option<TlsAcceptor>, StartError> {
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(crate::net::tls::load_acceptor(cert, key)?),
        (None, None) => None,
        _ => return Err(StartError::TlsIncomplete),
    };
    if config.root_access_key.is_some() != config.root_secret_key.is_some() {
        return Err(RootCredentialsError::HalfConfigured.into());
    }
    Ok(tls)
}

/// Binds a listener; returns it with the address it got (the port, when 0 was asked for).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let bind_err = |source| StartError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let bound = listener.local_addr().map_err(bind_err)?;
    Ok((listener, bound))
}

/// Opens the stores through the one factory and empties `tmp/` (under the data dir's lock no
/// other process has uploads in progress there); `wrap` (tests) wraps them.
async fn open_stores(
    config: &ServerConfig,
    wrap: Option<StoreWrapper>,
) -> Result<(Arc<dyn MetaStore>, Arc<dyn BlobStore>, Arc<dyn AccessStore>), StartError> {
    let stores = sluice_store::open(&sluice_store::StoreConfig::Embedded {
        data_dir: config.data_dir.clone(),
        inline_max: config.inline_max_bytes,
    })
    .await
    .map_err(|source| storage_error(config, source))?;
    stores
        .blobs
        .clean_temp()
        .await
        .map_err(|source| storage_error(config, source))?;
    let (meta, blobs) = match wrap {
        Some(wrap) => wrap(stores.meta, stores.blobs),
        None => (stores.meta, stores.blobs),
    };
    Ok((meta, blobs, stores.access))
}

/// Releases the grant uses an earlier run of this node left reserved (it crashed mid-request): no
/// request of that process can still be running.
async fn reclaim_earlier_reservations(
    config: &ServerConfig,
    access: &dyn AccessStore,
    owner: &sluice_store::ReservationOwner,
) -> Result<(), StartError> {
    match access.reclaim_reservations_of_earlier_runs(owner).await {
        Ok(0) => Ok(()),
        Ok(n) => {
            tracing::info!(
                released = n,
                "grant uses reserved by an earlier run released"
            );
            Ok(())
        }
        Err(source) => Err(storage_error(config, source)),
    }
}

/// The notification targets of the configuration file as store records; refuses an invalid one
/// before anything is written.
fn configured_targets(
    config: &ServerConfig,
) -> Result<Vec<sluice_store::TargetRecord>, StartError> {
    let now = Clock::system().now_ms();
    config
        .notify_targets
        .iter()
        .map(|(id, target)| {
            let refuse = |message: String| StartError::Target {
                id: id.clone(),
                message,
            };
            crate::notify::targets::validate_new_id(id).map_err(|e| refuse(e.to_string()))?;
            target.validate().map_err(|e| refuse(e.to_string()))?;
            Ok(sluice_store::TargetRecord {
                id: id.clone(),
                kind: target.kind().to_string(),
                config: serde_json::to_string(target).map_err(|e| refuse(e.to_string()))?,
                created_ms: now,
            })
        })
        .collect()
}

/// Writes the configuration file's targets to the store (replacing earlier definitions of the
/// same ids).
async fn define_targets(
    config: &ServerConfig,
    access: &dyn AccessStore,
    targets: &[sluice_store::TargetRecord],
) -> Result<(), StartError> {
    for t in targets {
        access
            .put_target(t)
            .await
            .map_err(|source| storage_error(config, source))?;
    }
    Ok(())
}

fn storage_error(config: &ServerConfig, source: sluice_store::StoreError) -> StartError {
    StartError::Storage {
        dir: config.data_dir.display().to_string(),
        source,
    }
}

/// How a listener accepts connections: the configured cap, header timeout and grace period.
fn accept_config(
    config: &ServerConfig,
    name: &'static str,
    tls: Option<TlsAcceptor>,
) -> AcceptConfig {
    AcceptConfig {
        max_connections: config.max_connections,
        header_timeout: config.header_read_timeout,
        grace: config.shutdown_grace,
        tls,
        name,
    }
}
