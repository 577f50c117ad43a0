//! Canonicalisation: arbitrary path / query text -> `canonical_uri`,
//! `canonical_query_string`, `normalize_path`, `percent_decode`, `uri_encode`, with
//! the properties that must hold for every input:
//! * canonical forms are fixed points (canonicalising twice changes nothing);
//! * `percent_decode(uri_encode(x)) == x` for any bytes, slash kept or not;
//! * an encoded path is already canonical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_sigv4::{
    canonical_query_string, canonical_uri, normalize_path, percent_decode, uri_encode,
    uri_encode_bytes,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    let uri = canonical_uri(&text);
    assert_eq!(canonical_uri(&uri), uri, "canonical_uri not idempotent");
    assert!(uri.bytes().all(|b| b.is_ascii_graphic()), "{uri:?}");

    let query = canonical_query_string(&text, &[]);
    assert_eq!(
        canonical_query_string(&query, &[]),
        query,
        "canonical_query_string not idempotent"
    );

    let _ = normalize_path(&text);

    for encode_slash in [true, false] {
        let encoded = uri_encode_bytes(data, encode_slash);
        assert_eq!(percent_decode(&encoded), data, "decode(encode(x)) != x");
        if !encoded.is_empty() && !encode_slash {
            assert_eq!(canonical_uri(&encoded), encoded);
        }
        assert_eq!(
            uri_encode(&text, encode_slash),
            uri_encode_bytes(text.as_bytes(), encode_slash)
        );
    }
    let _ = percent_decode(&text);
});
