//! Request headers that ask for S3 features Sluice does not have (object lock, SSE-C, SSE-KMS, storage classes
//! other than STANDARD, website redirects, ACL grants). A request carrying one is refused with
//! AWS's answer for it instead of being stored as if the feature had been applied.

use crate::endpoint::Endpoint;
use crate::error::S3Error;

/// Storage classes AWS knows; only `STANDARD` is stored as asked.
const STORAGE_CLASSES: [&str; 12] = [
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
    "FSX_OPENZFS",
];

/// Headers that ask for customer-provided-key encryption of the object written.
const SSE_C: [&str; 3] = [
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
];

/// Headers that read an object as encrypted with a customer key (the copy source's form included).
const SSE_C_SOURCE: [&str; 3] = [
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
];

/// Headers of KMS encryption, meaningful only with `x-amz-server-side-encryption: aws:kms`.
const SSE_KMS: [&str; 3] = [
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
];

/// Object lock settings of a new object.
const OBJECT_LOCK: [&str; 3] = [
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
];

/// Explicit ACL grants (Sluice keeps canned ACLs only).
const GRANTS: [&str; 5] = [
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
];

/// What kind of request, as far as these headers go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// PutObject, CopyObject, CreateMultipartUpload: a new object's settings.
    NewObject,
    /// UploadPart, UploadPartCopy.
    Part,
    /// GetObject, HeadObject.
    Read,
    /// CreateBucket.
    NewBucket,
}

fn kind(endpoint: &Endpoint) -> Option<Kind> {
    Some(match endpoint {
        Endpoint::PutObject { .. }
        | Endpoint::CopyObject { .. }
        | Endpoint::CreateMultipartUpload { .. } => Kind::NewObject,
        Endpoint::UploadPart { .. } | Endpoint::UploadPartCopy { .. } => Kind::Part,
        Endpoint::GetObject { .. } | Endpoint::HeadObject { .. } => Kind::Read,
        Endpoint::CreateBucket { .. } => Kind::NewBucket,
        _ => return None,
    })
}

/// 501 NotImplemented naming the header, as AWS words it.
fn not_implemented(header: &str) -> S3Error {
    S3Error::not_implemented().with_detail("Header", header)
}

/// 400 InvalidRequest for customer-key parameters on an object that was not written with one (none is).
fn sse_c_not_applicable() -> S3Error {
    S3Error::invalid_request("The encryption parameters are not applicable to this object.")
}

/// Refuses a request whose headers ask for a feature Sluice lacks. `headers` yields lowercase names and values.
pub fn refuse_unsupported_headers<'a>(
    endpoint: &Endpoint,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), S3Error> {
    let Some(kind) = kind(endpoint) else {
        return Ok(());
    };
    let copy = matches!(
        endpoint,
        Endpoint::CopyObject { .. } | Endpoint::UploadPartCopy { .. }
    );
    for (name, value) in headers {
        if !name.starts_with("x-amz-") {
            continue;
        }
        match kind {
            Kind::NewObject => check_new_object(name, value)?,
            Kind::Part => {
                if SSE_C.contains(&name) {
                    return Err(not_implemented(name));
                }
            }
            Kind::Read => {
                if SSE_C.contains(&name) {
                    return Err(sse_c_not_applicable());
                }
            }
            Kind::NewBucket => {
                if name == "x-amz-bucket-object-lock-enabled"
                    && !value.trim().eq_ignore_ascii_case("false")
                {
                    return Err(not_implemented(name));
                }
                if GRANTS.contains(&name) {
                    return Err(not_implemented(name));
                }
            }
        }
        if copy && SSE_C_SOURCE.contains(&name) {
            return Err(sse_c_not_applicable());
        }
    }
    Ok(())
}

fn check_new_object(name: &str, value: &str) -> Result<(), S3Error> {
    match name {
        "x-amz-server-side-encryption" => match value.trim() {
            // SSE-S3 is what every S3 object gets; accepted as AWS does.
            "AES256" => Ok(()),
            "aws:kms" | "aws:kms:dsse" => Err(not_implemented(name)),
            _ => Err(S3Error::invalid_argument_named(
                "The encryption method specified is not supported",
                name,
                value,
            )),
        },
        "x-amz-storage-class" => {
            let class = value.trim();
            if class == "STANDARD" {
                Ok(())
            } else if STORAGE_CLASSES.contains(&class) {
                Err(not_implemented(name))
            } else {
                Err(S3Error::new(
                    "InvalidStorageClass",
                    400,
                    "The storage class you specified is not valid",
                )
                .with_detail("StorageClassRequested", class))
            }
        }
        "x-amz-website-redirect-location" => Err(not_implemented(name)),
        _ if SSE_C.contains(&name) || SSE_KMS.contains(&name) || GRANTS.contains(&name) => {
            Err(not_implemented(name))
        }
        _ if OBJECT_LOCK.contains(&name) => Err(S3Error::invalid_request(
            "Bucket is missing Object Lock Configuration",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put() -> Endpoint {
        Endpoint::PutObject {
            bucket: "b".into(),
            key: "k".into(),
        }
    }

    fn code(endpoint: &Endpoint, name: &str, value: &str) -> Option<(String, u16)> {
        refuse_unsupported_headers(endpoint, [(name, value)])
            .err()
            .map(|e| (e.code.to_string(), e.status))
    }

    #[test]
    fn plain_requests_pass() {
        assert_eq!(code(&put(), "x-amz-storage-class", "STANDARD"), None);
        assert_eq!(code(&put(), "x-amz-server-side-encryption", "AES256"), None);
        assert_eq!(code(&put(), "x-amz-meta-tagging", "x"), None);
        // Tagging is supported (issue 26).
        assert_eq!(code(&put(), "x-amz-tagging", "a=b"), None);
        assert_eq!(code(&put(), "content-type", "text/plain"), None);
        let bucket = Endpoint::CreateBucket { bucket: "b".into() };
        assert_eq!(
            code(&bucket, "x-amz-bucket-object-lock-enabled", "false"),
            None
        );
        let list = Endpoint::ListBuckets;
        assert_eq!(code(&list, "x-amz-storage-class", "GLACIER"), None);
    }

    #[test]
    fn features_sluice_lacks_are_refused() {
        let ni = Some(("NotImplemented".to_string(), 501));
        let bad = Some(("InvalidRequest".to_string(), 400));
        assert_eq!(code(&put(), "x-amz-storage-class", "GLACIER"), ni);
        assert_eq!(
            code(&put(), "x-amz-storage-class", "COLD"),
            Some(("InvalidStorageClass".to_string(), 400))
        );
        assert_eq!(code(&put(), "x-amz-server-side-encryption", "aws:kms"), ni);
        assert_eq!(
            code(&put(), "x-amz-server-side-encryption", "rot13"),
            Some(("InvalidArgument".to_string(), 400))
        );
        assert_eq!(code(&put(), "x-amz-object-lock-mode", "COMPLIANCE"), bad);
        assert_eq!(code(&put(), "x-amz-object-lock-legal-hold", "ON"), bad);
        assert_eq!(code(&put(), "x-amz-website-redirect-location", "/x"), ni);
        assert_eq!(code(&put(), "x-amz-grant-read", "id=x"), ni);
        assert_eq!(
            code(
                &put(),
                "x-amz-server-side-encryption-customer-algorithm",
                "AES256"
            ),
            ni
        );
        let get = Endpoint::GetObject {
            bucket: "b".into(),
            key: "k".into(),
        };
        assert_eq!(
            code(&get, "x-amz-server-side-encryption-customer-key", "x"),
            bad
        );
        let bucket = Endpoint::CreateBucket { bucket: "b".into() };
        assert_eq!(
            code(&bucket, "x-amz-bucket-object-lock-enabled", "true"),
            ni
        );
    }
}
