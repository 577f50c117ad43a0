//! Integrity checks for small bodies read whole (DeleteObjects and other XML requests).

use crate::body::checksum::BodyHasher;
use crate::ops::put_object::{ExpectedChecksum, IntegrityPlan};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sluice_s3::S3Error;

/// Reads a small request body whole (at most `max` bytes) and checks its Content-MD5 and
/// `x-amz-checksum-*` ([`verify_small_body`]); the headers are judged before the body is read.
pub async fn read_verified_body(
    parts: &http::request::Parts,
    body: &mut crate::body::body_in::BodyReader,
    max: usize,
) -> Result<Vec<u8>, S3Error> {
    let plan = crate::ops::put_object::integrity_plan(parts)?;
    let raw = body.read_to_end(max).await?;
    verify_small_body(&raw, &plan, body.trailers())?;
    Ok(raw)
}

/// Checks Content-MD5 and the declared `x-amz-checksum-*` (header or trailer) of a whole body.
pub fn verify_small_body(
    body: &[u8],
    plan: &IntegrityPlan,
    trailers: &[(String, String)],
) -> Result<(), S3Error> {
    let mut h = BodyHasher::new(Some(plan.algorithm), false);
    h.update(body);
    let d = h.finish();
    if let Some(expected) = plan.content_md5 {
        if expected != d.md5 {
            return Err(S3Error::bad_digest_md5(
                &B64.encode(expected),
                &B64.encode(d.md5),
            ));
        }
    }
    let computed = d.checksum.map(|(_, v)| v).unwrap_or_default();
    let expected = match &plan.expected {
        ExpectedChecksum::None => return Ok(()),
        ExpectedChecksum::Header(v) => v.clone(),
        ExpectedChecksum::Trailer => trailers
            .iter()
            .find(|(k, _)| k == plan.algorithm.header())
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default(),
    };
    if expected != computed {
        return Err(S3Error::bad_digest_checksum(plan.algorithm.name()));
    }
    Ok(())
}
