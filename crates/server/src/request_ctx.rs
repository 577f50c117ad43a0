//! [`RequestCtx`]: what the pipeline hands every handler (S3 operations, the admin and `/_sluice/` APIs,
//! the console's acting calls) once the request is authenticated.

use crate::auth::authn::Caller;
use crate::state::AppState;
use http::request::Parts;
use sluice_s3::QueryParams;

/// What every handler may read about the request.
pub struct RequestCtx<'a> {
    /// Shared state.
    pub state: &'a AppState,
    /// Method, URI and headers.
    pub parts: &'a Parts,
    /// Decoded query.
    pub query: &'a QueryParams,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// The client's address.
    pub remote: std::net::SocketAddr,
}
