//! Routing of the access sub-resources: `?policy` and `?cors` (buckets), `?acl` (buckets, objects).

use crate::endpoint::Endpoint;
use crate::error::S3Error;
use crate::query::QueryParams;

/// The endpoint for `?policy` / `?acl`, or `None` when neither is asked for.
pub(crate) fn access_endpoint(
    method: &str,
    bucket: &str,
    key: Option<&str>,
    q: &QueryParams,
) -> Option<Result<Endpoint, S3Error>> {
    let bucket = bucket.to_string();
    if q.has("policy") {
        if let Some(key) = key {
            return Some(Ok(Endpoint::Unsupported {
                bucket: Some(bucket),
                key: Some(key.to_string()),
                subresource: "policy".into(),
            }));
        }
        return Some(match method {
            "PUT" => Ok(Endpoint::PutBucketPolicy { bucket }),
            "GET" => Ok(Endpoint::GetBucketPolicy { bucket }),
            "DELETE" => Ok(Endpoint::DeleteBucketPolicy { bucket }),
            other => Err(S3Error::method_not_allowed(other)),
        });
    }
    if q.has("cors") {
        if let Some(key) = key {
            return Some(Ok(Endpoint::Unsupported {
                bucket: Some(bucket),
                key: Some(key.to_string()),
                subresource: "cors".into(),
            }));
        }
        return Some(match method {
            "PUT" => Ok(Endpoint::PutBucketCors { bucket }),
            "GET" => Ok(Endpoint::GetBucketCors { bucket }),
            "DELETE" => Ok(Endpoint::DeleteBucketCors { bucket }),
            other => Err(S3Error::method_not_allowed(other)),
        });
    }
    if q.has("acl") {
        return Some(match (method, key) {
            ("GET", None) => Ok(Endpoint::GetBucketAcl { bucket }),
            ("PUT", None) => Ok(Endpoint::PutBucketAcl { bucket }),
            ("GET", Some(k)) => Ok(Endpoint::GetObjectAcl {
                bucket,
                key: k.to_string(),
            }),
            ("PUT", Some(k)) => Ok(Endpoint::PutObjectAcl {
                bucket,
                key: k.to_string(),
            }),
            (other, _) => Err(S3Error::method_not_allowed(other)),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let q = |s: &str| QueryParams::parse(s);
        let b = "b".to_string();
        assert_eq!(
            access_endpoint("PUT", "b", None, &q("policy")).unwrap(),
            Ok(Endpoint::PutBucketPolicy { bucket: b.clone() })
        );
        assert_eq!(
            access_endpoint("DELETE", "b", None, &q("policy=")).unwrap(),
            Ok(Endpoint::DeleteBucketPolicy { bucket: b.clone() })
        );
        assert_eq!(
            access_endpoint("GET", "b", Some("k"), &q("acl")).unwrap(),
            Ok(Endpoint::GetObjectAcl {
                bucket: b.clone(),
                key: "k".into()
            })
        );
        assert!(access_endpoint("POST", "b", None, &q("acl"))
            .unwrap()
            .is_err());
        assert!(matches!(
            access_endpoint("GET", "b", Some("k"), &q("policy")).unwrap(),
            Ok(Endpoint::Unsupported { .. })
        ));
        assert!(access_endpoint("GET", "b", None, &q("policyStatus")).is_none());
    }
}
