//! Request routing: method + host + path + query -> [`Endpoint`].

use crate::bucket_name::is_routable_bucket_name;
use crate::endpoint::Endpoint;
use crate::error::S3Error;
use crate::query::QueryParams;
use percent_encoding::percent_decode;

/// The path prefix reserved for Sluice's own service API; no bucket name can contain `_`.
pub const SERVICE_PREFIX: &str = "/_sluice/";

/// Longest object key S3 accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// What routing needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct RouteInput<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// `Host` header value, if any.
    pub host: Option<&'a str>,
    /// Raw (percent-encoded) path.
    pub raw_path: &'a str,
    /// Decoded query.
    pub query: &'a QueryParams,
    /// Whether `x-amz-copy-source` was sent.
    pub has_copy_source: bool,
    /// Domain for virtual-host style (`bucket.DOMAIN`), if enabled.
    pub domain: Option<&'a str>,
}

/// The routing result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// The operation.
    pub endpoint: Endpoint,
    /// Set when the bucket came from the Host header.
    pub virtual_host_bucket: Option<String>,
}

/// Sub-resources Sluice recognises but does not implement yet.
const UNSUPPORTED_SUBRESOURCES: [&str; 22] = [
    "policyStatus",
    "lifecycle",
    "website",
    "logging",
    "replication",
    "encryption",
    "ownershipControls",
    "publicAccessBlock",
    "requestPayment",
    "accelerate",
    "analytics",
    "inventory",
    "metrics",
    "intelligent-tiering",
    "object-lock",
    "legal-hold",
    "retention",
    "torrent",
    "restore",
    "select",
    "attributes",
    "session",
];

/// Routes a request to an endpoint.
pub fn route(input: &RouteInput<'_>) -> Result<Routed, S3Error> {
    let vhost_bucket = input
        .domain
        .and_then(|d| virtual_host_bucket(input.host, d));
    if vhost_bucket.is_none() && input.raw_path.starts_with(SERVICE_PREFIX) {
        if let Some(endpoint) = tus_endpoint(&input.raw_path[SERVICE_PREFIX.len()..])? {
            return Ok(Routed {
                endpoint,
                virtual_host_bucket: None,
            });
        }
        return Ok(Routed {
            endpoint: Endpoint::Service {
                path: input.raw_path[SERVICE_PREFIX.len()..].to_string(),
            },
            virtual_host_bucket: None,
        });
    }
    let path = decode_path(input.raw_path)?;
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = match &vhost_bucket {
        Some(b) => (b.clone(), path.to_string()),
        None => match path.split_once('/') {
            Some((b, k)) => (b.to_string(), k.to_string()),
            None => (path.to_string(), String::new()),
        },
    };
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::key_too_long());
    }
    let endpoint = if bucket.is_empty() {
        service_endpoint(input.method)?
    } else {
        if !is_routable_bucket_name(&bucket) {
            return Err(S3Error::invalid_bucket_name(&bucket));
        }
        if input.method == "OPTIONS" {
            Endpoint::CorsPreflight {
                bucket,
                key: (!key.is_empty()).then_some(key),
            }
        } else if key.is_empty() {
            bucket_endpoint(input, bucket)?
        } else {
            object_endpoint(input, bucket, key)?
        }
    };
    Ok(Routed {
        endpoint,
        virtual_host_bucket: vhost_bucket,
    })
}

fn virtual_host_bucket(host: Option<&str>, domain: &str) -> Option<String> {
    let host = host?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(']') => h,
        _ => host,
    };
    let host = host.to_ascii_lowercase();
    let prefix = host.strip_suffix(&domain.to_ascii_lowercase())?;
    let bucket = prefix.strip_suffix('.')?;
    (!bucket.is_empty()).then(|| bucket.to_string())
}

/// The path of the tus endpoint under `/_sluice/`.
pub const TUS_PATH: &str = "tus/";
/// The path of tus uploads (by token) under `/_sluice/`.
pub const TUS_UPLOAD_PATH: &str = "tus/u/";

/// A tus path under `/_sluice/` (`rest`): `tus/u/TOKEN` an upload, `tus/BUCKET/KEY` a creation;
/// `None` for any other service path (`tus/` itself included: the tus discovery).
fn tus_endpoint(rest: &str) -> Result<Option<Endpoint>, S3Error> {
    if let Some(token) = rest.strip_prefix(TUS_UPLOAD_PATH) {
        return Ok(Some(Endpoint::TusUpload {
            token: token.to_string(),
        }));
    }
    let Some(target) = rest.strip_prefix(TUS_PATH) else {
        return Ok(None);
    };
    let Some((bucket, key)) = target.split_once('/') else {
        return Ok(None);
    };
    let key = decode_path(key)?;
    if !is_routable_bucket_name(bucket) || key.is_empty() {
        return Ok(None);
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::key_too_long());
    }
    Ok(Some(Endpoint::TusCreate {
        bucket: bucket.to_string(),
        key,
    }))
}

fn decode_path(raw: &str) -> Result<String, S3Error> {
    let bytes: Vec<u8> = percent_decode(raw.as_bytes()).collect();
    String::from_utf8(bytes).map_err(|_| S3Error::invalid_uri())
}

fn service_endpoint(method: &str) -> Result<Endpoint, S3Error> {
    match method {
        "GET" | "HEAD" => Ok(Endpoint::ListBuckets),
        other => Err(S3Error::method_not_allowed(other)),
    }
}

fn unsupported(query: &QueryParams) -> Option<String> {
    UNSUPPORTED_SUBRESOURCES
        .iter()
        .find(|s| query.has(s))
        .map(|s| s.to_string())
}

fn bucket_endpoint(input: &RouteInput<'_>, bucket: String) -> Result<Endpoint, S3Error> {
    let q = input.query;
    if let Some(e) = crate::route_access::access_endpoint(input.method, &bucket, None, q) {
        return e;
    }
    if let Some(e) = crate::route_tagging::tagging_endpoint(input.method, &bucket, None, q) {
        return e;
    }
    if q.has("notification") {
        return match input.method {
            "GET" => Ok(Endpoint::GetBucketNotificationConfiguration { bucket }),
            "PUT" => Ok(Endpoint::PutBucketNotificationConfiguration { bucket }),
            other => Err(S3Error::method_not_allowed(other)),
        };
    }
    if let Some(subresource) = unsupported(q) {
        return Ok(Endpoint::Unsupported {
            bucket: Some(bucket),
            key: None,
            subresource,
        });
    }
    Ok(match input.method {
        "PUT" => {
            if q.has("versioning") {
                Endpoint::Unsupported {
                    bucket: Some(bucket),
                    key: None,
                    subresource: "versioning".into(),
                }
            } else {
                Endpoint::CreateBucket { bucket }
            }
        }
        "HEAD" => Endpoint::HeadBucket { bucket },
        "DELETE" => Endpoint::DeleteBucket { bucket },
        "GET" => {
            if q.has("location") {
                Endpoint::GetBucketLocation { bucket }
            } else if q.has("versioning") {
                Endpoint::GetBucketVersioning { bucket }
            } else if q.has("versions") {
                Endpoint::ListObjectVersions { bucket }
            } else if q.has("uploads") {
                Endpoint::ListMultipartUploads { bucket }
            } else if q.get("list-type") == Some("2") {
                Endpoint::ListObjectsV2 { bucket }
            } else {
                Endpoint::ListObjects { bucket }
            }
        }
        "POST" => {
            if q.has("delete") {
                Endpoint::DeleteObjects { bucket }
            } else {
                Endpoint::PostObject { bucket }
            }
        }
        other => return Err(S3Error::method_not_allowed(other)),
    })
}

fn object_endpoint(
    input: &RouteInput<'_>,
    bucket: String,
    key: String,
) -> Result<Endpoint, S3Error> {
    let q = input.query;
    if let Some(e) = crate::route_access::access_endpoint(input.method, &bucket, Some(&key), q) {
        return e;
    }
    if let Some(e) = crate::route_tagging::tagging_endpoint(input.method, &bucket, Some(&key), q) {
        return e;
    }
    if q.has("attributes") && input.method == "GET" {
        return Ok(Endpoint::GetObjectAttributes { bucket, key });
    }
    // `?notification` is a bucket sub-resource only.
    let subresource = if q.has("notification") {
        Some("notification".to_string())
    } else {
        unsupported(q)
    };
    if let Some(subresource) = subresource {
        return Ok(Endpoint::Unsupported {
            bucket: Some(bucket),
            key: Some(key),
            subresource,
        });
    }
    let upload_id = q.get("uploadId").map(str::to_string);
    Ok(match (input.method, upload_id) {
        ("PUT", Some(upload_id)) => {
            let part_number = q.get("partNumber").unwrap_or_default().to_string();
            if input.has_copy_source {
                Endpoint::UploadPartCopy {
                    bucket,
                    key,
                    part_number,
                    upload_id,
                }
            } else {
                Endpoint::UploadPart {
                    bucket,
                    key,
                    part_number,
                    upload_id,
                }
            }
        }
        ("PUT", None) if input.has_copy_source => Endpoint::CopyObject { bucket, key },
        ("PUT", None) => Endpoint::PutObject { bucket, key },
        ("POST", Some(upload_id)) => Endpoint::CompleteMultipartUpload {
            bucket,
            key,
            upload_id,
        },
        ("POST", None) if q.has("uploads") => Endpoint::CreateMultipartUpload { bucket, key },
        ("DELETE", Some(upload_id)) => Endpoint::AbortMultipartUpload {
            bucket,
            key,
            upload_id,
        },
        ("DELETE", None) => Endpoint::DeleteObject { bucket, key },
        ("GET", Some(upload_id)) => Endpoint::ListParts {
            bucket,
            key,
            upload_id,
        },
        ("GET", None) => Endpoint::GetObject { bucket, key },
        ("HEAD", _) => Endpoint::HeadObject { bucket, key },
        (other, _) => return Err(S3Error::method_not_allowed(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(
        method: &str,
        host: &str,
        path_query: &str,
        domain: Option<&str>,
    ) -> Result<Routed, S3Error> {
        let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
        let q = QueryParams::parse(query);
        route(&RouteInput {
            method,
            host: Some(host),
            raw_path: path,
            query: &q,
            has_copy_source: false,
            domain,
        })
    }

    #[test]
    fn path_style() {
        let e = r("PUT", "localhost:9000", "/b1/a%20b/c%2Fd", None)
            .unwrap()
            .endpoint;
        assert_eq!(
            e,
            Endpoint::PutObject {
                bucket: "b1".into(),
                key: "a b/c/d".into()
            }
        );
        let e = r("GET", "localhost", "/b1/", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::ListObjects {
                bucket: "b1".into()
            }
        );
        let e = r("GET", "localhost", "/b1?list-type=2", None)
            .unwrap()
            .endpoint;
        assert_eq!(
            e,
            Endpoint::ListObjectsV2 {
                bucket: "b1".into()
            }
        );
        let e = r("GET", "localhost", "/", None).unwrap().endpoint;
        assert_eq!(e, Endpoint::ListBuckets);
        let e = r("GET", "localhost", "/b1//x/../y", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::GetObject {
                bucket: "b1".into(),
                key: "/x/../y".into()
            }
        );
    }

    #[test]
    fn virtual_host_style() {
        let e = r("GET", "b1.s3.local:9000", "/k/ey", Some("s3.local")).unwrap();
        assert_eq!(
            e.endpoint,
            Endpoint::GetObject {
                bucket: "b1".into(),
                key: "k/ey".into()
            }
        );
        assert_eq!(e.virtual_host_bucket.as_deref(), Some("b1"));
        let e = r("GET", "s3.local:9000", "/b2/k", Some("s3.local"))
            .unwrap()
            .endpoint;
        assert_eq!(
            e,
            Endpoint::GetObject {
                bucket: "b2".into(),
                key: "k".into()
            }
        );
        let e = r("GET", "B1.S3.LOCAL", "/", Some("s3.local"))
            .unwrap()
            .endpoint;
        assert_eq!(
            e,
            Endpoint::ListObjects {
                bucket: "b1".into()
            }
        );
    }

    #[test]
    fn tus_paths() {
        let e = |p: &str| r("POST", "localhost", p, None).unwrap().endpoint;
        assert_eq!(
            e("/_sluice/tus/b1/dir/%24%7Bfilename%7D"),
            Endpoint::TusCreate {
                bucket: "b1".into(),
                key: "dir/${filename}".into()
            }
        );
        assert_eq!(
            e("/_sluice/tus/u/abc"),
            Endpoint::TusUpload {
                token: "abc".into()
            }
        );
        assert_eq!(
            e("/_sluice/tus/"),
            Endpoint::Service {
                path: "tus/".into()
            }
        );
        assert_eq!(
            e("/_sluice/tus/b1/"),
            Endpoint::Service {
                path: "tus/b1/".into()
            }
        );
    }

    #[test]
    fn service_prefix_and_errors() {
        let e = r("POST", "localhost", "/_sluice/v1/presign", None)
            .unwrap()
            .endpoint;
        assert_eq!(
            e,
            Endpoint::Service {
                path: "v1/presign".into()
            }
        );
        let long = format!("/b1/{}", "k".repeat(1025));
        assert_eq!(
            r("PUT", "h", &long, None).unwrap_err().code,
            "KeyTooLongError"
        );
        assert_eq!(
            r("PUT", "h", "/b1/%FF", None).unwrap_err().code,
            "InvalidURI"
        );
        assert_eq!(
            r("PATCH", "h", "/b1/k", None).unwrap_err().code,
            "MethodNotAllowed"
        );
        let e = r("GET", "h", "/b1?lifecycle", None).unwrap().endpoint;
        assert!(matches!(e, Endpoint::Unsupported { .. }));
        let e = r("GET", "h", "/b1/k?attributes", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::GetObjectAttributes {
                bucket: "b1".into(),
                key: "k".into()
            }
        );
        let e = r("PUT", "h", "/b1/k?attributes", None).unwrap().endpoint;
        assert!(matches!(e, Endpoint::Unsupported { .. }));
        let e = r("GET", "h", "/b1?tagging", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::GetBucketTagging {
                bucket: "b1".into()
            }
        );
        let e = r("GET", "h", "/b1?cors", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::GetBucketCors {
                bucket: "b1".into()
            }
        );
        let e = r("OPTIONS", "h", "/b1/a/b", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::CorsPreflight {
                bucket: "b1".into(),
                key: Some("a/b".into())
            }
        );
    }

    #[test]
    fn notification_routes() {
        let b = || "b1".to_string();
        let e = r("GET", "h", "/b1?notification", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::GetBucketNotificationConfiguration { bucket: b() }
        );
        assert_eq!(e.name(), "GetBucketNotificationConfiguration");
        assert_eq!(e.action(), "s3:GetBucketNotification");
        assert_eq!(e.bucket(), Some("b1"));
        assert_eq!(e.key(), None);
        let e = r("PUT", "h", "/b1/?notification=", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::PutBucketNotificationConfiguration { bucket: b() }
        );
        assert_eq!(e.name(), "PutBucketNotificationConfiguration");
        assert_eq!(e.action(), "s3:PutBucketNotification");
        assert_eq!(e.bucket(), Some("b1"));
        let e = r("PUT", "b1.s3.local", "/?notification", Some("s3.local"))
            .unwrap()
            .endpoint;
        assert_eq!(
            e,
            Endpoint::PutBucketNotificationConfiguration { bucket: b() }
        );
        for m in ["DELETE", "POST", "HEAD"] {
            assert_eq!(
                r(m, "h", "/b1?notification", None).unwrap_err().code,
                "MethodNotAllowed",
                "{m}"
            );
        }
        let e = r("GET", "h", "/b1/k?notification", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::Unsupported {
                bucket: Some(b()),
                key: Some("k".into()),
                subresource: "notification".into()
            }
        );
    }

    #[test]
    fn multipart_routes() {
        let e = r("PUT", "h", "/b1/k?partNumber=2&uploadId=u", None)
            .unwrap()
            .endpoint;
        assert_eq!(
            e,
            Endpoint::UploadPart {
                bucket: "b1".into(),
                key: "k".into(),
                part_number: "2".into(),
                upload_id: "u".into()
            }
        );
        let e = r("POST", "h", "/b1/k?uploads", None).unwrap().endpoint;
        assert_eq!(
            e,
            Endpoint::CreateMultipartUpload {
                bucket: "b1".into(),
                key: "k".into()
            }
        );
    }
}
