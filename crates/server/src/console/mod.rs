//! The web console: a second listener (`--console-listen`) serving server-rendered HTML pages
//! that act as the logged-in access key, plus the public share-link upload pages.
//!
//! Every page is built from the same shared state as the S3 listener; actions go through the
//! same authorization (`authz`) and the same URL minting (`service_api::presign`) as the S3 API.
//! See `docs/console.md`.

pub mod acting;
pub mod assets;
pub mod auth_pages;
pub mod bucket_pages;
pub mod form;
pub mod grants_page;
pub mod html;
pub mod presign_page;
pub mod reply;
pub mod session;
pub mod share_link;
pub mod share_pages;
pub mod upload_api;

use crate::state::AppState;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use reply::Page;
use session::SessionStore;
use std::net::SocketAddr;
use std::sync::Arc;

/// Everything the console shares across requests.
pub struct ConsoleState {
    /// The server's shared state (stores, clock, credentials).
    pub app: Arc<AppState>,
    /// The S3 listener's bound address (URLs are minted for it).
    pub s3_addr: SocketAddr,
    /// Logged-in sessions.
    pub sessions: SessionStore,
}

impl ConsoleState {
    /// Console state over the server's state; `s3_addr` is the S3 listener's address.
    pub fn new(app: Arc<AppState>, s3_addr: SocketAddr) -> Self {
        ConsoleState {
            app,
            s3_addr,
            sessions: SessionStore::default(),
        }
    }
}

/// One console request: method, path, query, head and remote address.
pub struct ConsoleRequest {
    /// Request head.
    pub parts: http::request::Parts,
    /// Client address.
    pub remote: SocketAddr,
    /// Path, percent-decoded segments not applied.
    pub path: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
}

impl ConsoleRequest {
    /// A query parameter ("" when absent).
    pub fn query_param(&self, name: &str) -> &str {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Routes one console request.
pub async fn handle(
    console: &ConsoleState,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<crate::net::response::ResponseBody> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = form::parse_urlencoded(parts.uri.query().unwrap_or("").as_bytes());
    let req = ConsoleRequest {
        parts,
        remote,
        path,
        query,
    };
    let method = req.parts.method.clone();
    let page = match (&method, req.path.as_str()) {
        (&Method::GET, p) if p.starts_with("/assets/") => assets::serve(p),
        (&Method::GET, "/login") => auth_pages::login_form(console, &req, None),
        (&Method::POST, "/login") => auth_pages::login(console, &req, body).await,
        (&Method::POST, "/logout") => auth_pages::logout(console, &req, body).await,
        (&Method::GET, "/") => bucket_pages::bucket_list(console, &req).await,
        (&Method::POST, "/buckets") => bucket_pages::create_bucket(console, &req, body).await,
        (&Method::GET, "/objects") => bucket_pages::object_list(console, &req).await,
        (&Method::GET, "/presign") => presign_page::form(console, &req).await,
        (&Method::POST, "/presign") => presign_page::mint(console, &req, body).await,
        (&Method::GET, "/grants") => grants_page::list(console, &req).await,
        (&Method::POST, "/grants/revoke") => grants_page::revoke(console, &req, body).await,
        (&Method::GET, "/upload") => upload_api::page(console, &req).await,
        (&Method::POST, "/api/upload-url") => upload_api::upload_url(console, &req, body).await,
        (&Method::GET, "/share") => share_pages::form(console, &req).await,
        (&Method::POST, "/share") => share_pages::create(console, &req, body).await,
        (&Method::GET, p) if p.starts_with("/s/") => share_pages::public_page(console, &req).await,
        (&Method::POST, p) if p.starts_with("/s/") && p.ends_with("/upload-url") => {
            share_pages::public_upload_url(console, &req, body).await
        }
        (_, "/login" | "/logout" | "/" | "/buckets" | "/objects" | "/presign" | "/grants")
        | (_, "/grants/revoke" | "/upload" | "/api/upload-url" | "/share") => Page::error(
            405,
            "Method not allowed",
            "This page does not accept that method.",
        ),
        _ => Page::error(404, "Not found", "There is no such page."),
    };
    page.into_response(console, &req)
}
