//! IAM policy documents: arbitrary UTF-8 -> `Policy::parse` as an identity and as a
//! bucket policy. Errors are `PolicyError`s; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_iam::{Policy, PolicyKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [PolicyKind::Identity, PolicyKind::Bucket] {
        match Policy::parse(text, kind) {
            Ok(policy) => {
                let _ = format!("{policy:?}");
            }
            Err(err) => {
                let _ = err.to_string();
            }
        }
    }
});
