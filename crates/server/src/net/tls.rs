//! TLS for the S3 port (rustls with the ring provider): loading the PEM certificate and key,
//! and the marker telling handlers a request arrived over TLS.

use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Request extension present on every request received over TLS.
#[derive(Clone, Copy, Debug)]
pub struct OverTls;

/// Whether the request came over TLS (drives `aws:SecureTransport` and `https` URLs).
pub fn is_over_tls(parts: &http::request::Parts) -> bool {
    parts.extensions.get::<OverTls>().is_some()
}

/// The scheme of URLs pointing at the S3 port: `https` when it serves TLS, else `http`
/// (also for URLs minted from the web console, which listens elsewhere).
pub fn s3_scheme(config: &crate::config::ServerConfig) -> &'static str {
    if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    }
}

/// Why the TLS configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is missing, unreadable or holds no PEM certificate.
    #[error("TLS certificate {path}: {reason}")]
    Cert {
        /// File.
        path: String,
        /// Cause.
        reason: String,
    },
    /// The key file is missing, unreadable or holds no PEM private key.
    #[error("TLS key {path}: {reason}")]
    Key {
        /// File.
        path: String,
        /// Cause.
        reason: String,
    },
    /// The key does not match the certificate, or rustls refused the pair.
    #[error("TLS certificate and key: {0}")]
    Config(String),
}

/// Builds the acceptor from a PEM certificate chain and a PEM private key
/// (PKCS#8, PKCS#1 or SEC1). Offers HTTP/1.1 over TLS 1.2 and 1.3.
pub fn load_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let cert_err = |reason: String| TlsError::Cert {
        path: cert.display().to_string(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| cert_err(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_err(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_err("no PEM certificate found".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
