//! Presigned (query-string) authentication: an arbitrary raw query on
//! `GET /bucket/key` with `Host: localhost:9000` -> `parse_auth` -> `verify` with a
//! fixed secret and clock, plus `canonical_query_string` of the query. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_fuzz::{verify_context, SECRET};
use sluice_sigv4::{canonical_query_string, parse_auth, verify, RequestView, SigningKeyCache};

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let _ = canonical_query_string(&query, &[]);
    let _ = canonical_query_string(&query, &["X-Amz-Signature", "Signature"]);
    let headers = vec![("host".to_owned(), "localhost:9000".to_owned())];
    let view = RequestView {
        method: "GET",
        raw_path: "/bucket/key",
        raw_query: &query,
        headers: &headers,
    };
    let auth = match parse_auth(&view) {
        Ok(Some(auth)) => auth,
        Ok(None) => return,
        Err(err) => {
            let _ = (err.code(), err.to_string());
            return;
        }
    };
    let cache = SigningKeyCache::new(4);
    let ctx = verify_context(&cache);
    if let Err(err) = verify(&view, &auth, SECRET, &ctx) {
        let _ = (err.code(), err.to_string());
    }
});
