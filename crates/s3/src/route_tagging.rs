//! Routing of the `?tagging` sub-resource of buckets and objects.

use crate::endpoint::Endpoint;
use crate::error::S3Error;
use crate::query::QueryParams;

/// The endpoint for `?tagging`, or `None` when it is not asked for.
pub(crate) fn tagging_endpoint(
    method: &str,
    bucket: &str,
    key: Option<&str>,
    q: &QueryParams,
) -> Option<Result<Endpoint, S3Error>> {
    if !q.has("tagging") {
        return None;
    }
    let bucket = bucket.to_string();
    Some(match (method, key.map(str::to_string)) {
        ("PUT", None) => Ok(Endpoint::PutBucketTagging { bucket }),
        ("GET", None) => Ok(Endpoint::GetBucketTagging { bucket }),
        ("DELETE", None) => Ok(Endpoint::DeleteBucketTagging { bucket }),
        ("PUT", Some(key)) => Ok(Endpoint::PutObjectTagging { bucket, key }),
        ("GET", Some(key)) => Ok(Endpoint::GetObjectTagging { bucket, key }),
        ("DELETE", Some(key)) => Ok(Endpoint::DeleteObjectTagging { bucket, key }),
        (other, _) => Err(S3Error::method_not_allowed(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let q = QueryParams::parse("tagging");
        assert_eq!(
            tagging_endpoint("DELETE", "b", Some("k/x"), &q).unwrap(),
            Ok(Endpoint::DeleteObjectTagging {
                bucket: "b".into(),
                key: "k/x".into()
            })
        );
        assert_eq!(
            tagging_endpoint("PUT", "b", None, &q).unwrap(),
            Ok(Endpoint::PutBucketTagging { bucket: "b".into() })
        );
        assert!(tagging_endpoint("POST", "b", None, &q).unwrap().is_err());
        assert!(tagging_endpoint("GET", "b", None, &QueryParams::parse("acl")).is_none());
    }
}
