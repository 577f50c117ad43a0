//! Resuming a presigned multipart bundle: `"multipart": {"upload_id": ID}` on the mint API
//! answers fresh URLs for the parts not yet uploaded (plus complete, abort and list) of an upload
//! that is still open, for the same bucket and key. The caller's permissions are checked as for a
//! new bundle, and the URLs carry the constraints the request asks for.

use super::json_error::ApiError;
use super::presign::PlannedPart;
use crate::ops::lookup::store_err;
use crate::request_ctx::RequestCtx;
use serde_json::{json, Value};

/// Parts listed per store read.
const PAGE: usize = 1000;

/// A part already uploaded: number, size, ETag.
pub struct UploadedPart {
    /// Part number.
    pub number: u32,
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes.
    pub etag: String,
}

impl UploadedPart {
    /// As the mint API's answer lists it.
    pub fn to_json(&self) -> Value {
        json!({"part_number": self.number, "size": self.size, "etag": format!("\"{}\"", self.etag)})
    }
}

/// The parts uploaded so far to the open upload `upload_id` of `bucket`/`key`; 400 (field
/// `multipart.upload_id`) when there is no such open upload.
pub async fn uploaded_parts(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Vec<UploadedPart>, ApiError> {
    let meta = &ctx.state.meta;
    let upload = meta
        .get_upload(upload_id)
        .await
        .map_err(|e| ApiError::from(store_err(e)))?;
    if !upload.is_some_and(|u| u.bucket == bucket && u.key == key) {
        return Err(ApiError::bad_field(
            "multipart.upload_id",
            "is not an open multipart upload of this bucket and key",
        ));
    }
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = meta
            .list_parts(upload_id, after, PAGE)
            .await
            .map_err(|e| ApiError::from(store_err(e)))?;
        let full = page.len() == PAGE;
        for p in page {
            after = p.part_number;
            out.push(UploadedPart {
                number: p.part_number,
                size: p.size,
                etag: p.etag,
            });
        }
        if !full {
            return Ok(out);
        }
    }
}

/// The parts still to upload: of `plan`, those not uploaded; without a plan (only `upload_id`
/// given), the gaps below the highest uploaded part and the part after it.
pub fn remaining(plan: &[PlannedPart], uploaded: &[UploadedPart]) -> Vec<PlannedPart> {
    let done = |n: u32| uploaded.iter().any(|u| u.number == n);
    if !plan.is_empty() {
        return plan.iter().filter(|p| !done(p.number)).cloned().collect();
    }
    let highest = uploaded.iter().map(|u| u.number).max().unwrap_or(0);
    (1..=highest
        .saturating_add(1)
        .min(crate::ops::multipart::MAX_PART_NUMBER))
        .filter(|n| !done(*n))
        .map(|number| PlannedPart {
            number,
            range: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(n: u32) -> UploadedPart {
        UploadedPart {
            number: n,
            size: 1,
            etag: String::new(),
        }
    }

    #[test]
    fn remaining_parts() {
        let plan: Vec<PlannedPart> = (1..=4)
            .map(|number| PlannedPart {
                number,
                range: None,
            })
            .collect();
        let numbers = |v: Vec<PlannedPart>| v.iter().map(|p| p.number).collect::<Vec<_>>();
        assert_eq!(numbers(remaining(&plan, &[up(1), up(3)])), vec![2, 4]);
        assert_eq!(numbers(remaining(&[], &[up(1), up(3)])), vec![2, 4]);
        assert_eq!(numbers(remaining(&[], &[])), vec![1]);
    }
}
