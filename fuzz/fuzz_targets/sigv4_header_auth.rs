//! SigV4/SigV2 header authentication: an HTTP request in text form (request line,
//! headers with any `Authorization`, empty line, body) -> `parse_auth` -> `verify`
//! with a fixed secret and clock -> for aws-chunked bodies, the decoder on the body.
//! Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_fuzz::{verify_context, OwnedRequest, SECRET};
use sluice_sigv4::{parse_auth, verify, PayloadCheck, SigningKeyCache};

fuzz_target!(|data: &[u8]| {
    let req = OwnedRequest::parse(data);
    let view = req.view();
    let auth = match parse_auth(&view) {
        Ok(Some(auth)) => auth,
        Ok(None) => return,
        Err(err) => {
            let _ = (err.code(), err.to_string());
            return;
        }
    };
    let _ = (
        auth.access_key_id(),
        auth.kind(),
        auth.signature(),
        auth.credential().map(|c| c.scope()),
        auth.signed_headers(),
    );
    let cache = SigningKeyCache::new(4);
    let ctx = verify_context(&cache);
    match verify(&view, &auth, SECRET, &ctx) {
        Ok(verified) => {
            if let PayloadCheck::Chunked(mut decoder) = verified.payload {
                let mut out = Vec::new();
                let _ = decoder.feed(&req.body, &mut out);
                let _ = decoder.finish();
            }
        }
        Err(err) => {
            let _ = (err.code(), err.to_string());
        }
    }
});
