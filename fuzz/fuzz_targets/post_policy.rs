//! Browser POST uploads: form fields as `name:value` lines -> `parse_post_policy_auth`
//! -> `verify_post_policy`, then the decoded policy document -> `PostPolicy::parse` ->
//! `check` against the fields. When the first byte is `!` the harness signs the
//! `policy` field itself (V4 with the `x-amz-credential` date and region, and V2) so
//! the fuzzer gets past the signature to the policy document. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_fuzz::post_form_policy::PostPolicy;
use sluice_fuzz::{parse_fields, verify_context, NOW, SECRET};
use sluice_sigv4::{
    parse_post_policy_auth, sign_post_policy_v2, sign_post_policy_v4, verify_post_policy,
    SigningKeyCache,
};

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn set(fields: &mut [(String, String)], name: &str, value: String) {
    if let Some(slot) = fields
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        slot.1 = value;
    }
}

fuzz_target!(|data: &[u8]| {
    let (sign, data) = match data.split_first() {
        Some((b'!', rest)) => (true, rest),
        _ => (false, data),
    };
    let text = String::from_utf8_lossy(data);
    let mut fields = parse_fields(&text);

    if sign {
        if let Some(policy) = field(&fields, "policy").map(str::to_owned) {
            let scope: Vec<String> = field(&fields, "x-amz-credential")
                .unwrap_or_default()
                .split('/')
                .map(str::to_owned)
                .collect();
            if let [_, date, region, ..] = scope.as_slice() {
                let sig = sign_post_policy_v4(SECRET, &policy, date, region);
                set(&mut fields, "x-amz-signature", sig);
            }
            set(
                &mut fields,
                "signature",
                sign_post_policy_v2(SECRET, &policy),
            );
        }
    }

    let cache = SigningKeyCache::new(4);
    let ctx = verify_context(&cache);
    let document = match parse_post_policy_auth(&fields) {
        Ok(Some(auth)) => match verify_post_policy(&auth, SECRET, &ctx) {
            Ok(verified) => verified.policy,
            Err(err) => {
                let _ = (err.code(), err.to_string());
                return;
            }
        },
        Ok(None) => text.as_bytes().to_vec(),
        Err(err) => {
            let _ = (err.code(), err.to_string());
            return;
        }
    };
    match PostPolicy::parse(&document) {
        Ok(policy) => {
            let _ = policy.check(NOW, "bucket", &fields);
        }
        Err(err) => {
            let _ = err.to_xml("request-id");
        }
    }
});
