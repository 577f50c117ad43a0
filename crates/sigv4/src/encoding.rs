//! Percent-encoding exactly as AWS Signature Version 4 (and S3) expects it.
//!
//! AWS "URI encoding" keeps only the unreserved characters `A-Z a-z 0-9 - . _ ~`
//! and encodes every other byte as `%XX` with uppercase hex digits. The slash
//! is kept in paths and encoded (`%2F`) everywhere else.

use std::borrow::Cow;

use crate::reserved_scan::try_for_each_reserved;

/// Returns true for the bytes AWS never percent-encodes.
pub(crate) fn is_unreserved(byte: u8) -> bool {
    UNRESERVED[usize::from(byte)]
}

/// [`is_unreserved`] as a table, for the scanning loops.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        i += 1;
    }
    table
};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Percent-encodes raw bytes with the AWS rules, appending to `out`.
pub(crate) fn uri_encode_bytes_into(input: &[u8], encode_slash: bool, out: &mut String) {
    for &byte in input {
        if is_unreserved(byte) || (byte == b'/' && !encode_slash) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(byte >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(byte & 0x0f)]));
        }
    }
}

/// Percent-encodes raw bytes with the AWS rules.
pub fn uri_encode_bytes(input: &[u8], encode_slash: bool) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    uri_encode_bytes_into(input, encode_slash, &mut out);
    out
}

/// Percent-encodes a string with the S3 / SigV4 rules.
///
/// Unreserved characters (`A-Za-z0-9-._~`) are kept, every other UTF-8 byte
/// becomes `%XX` (uppercase hex). `/` is kept unless `encode_slash` is true.
///
/// ```
/// assert_eq!(sluice_sigv4::uri_encode("a b+c/d", false), "a%20b%2Bc/d");
/// assert_eq!(sluice_sigv4::uri_encode("a/b", true), "a%2Fb");
/// ```
pub fn uri_encode(input: &str, encode_slash: bool) -> String {
    uri_encode_bytes(input.as_bytes(), encode_slash)
}

/// Builds the path-style request path of an object: `"/" + bucket + "/" + key`,
/// with the key encoded once (slashes kept), as the AWS SDKs send it.
///
/// ```
/// assert_eq!(sluice_sigv4::encode_object_path("b", "a b+c"), "/b/a%20b%2Bc");
/// ```
pub fn encode_object_path(bucket: &str, key: &str) -> String {
    let mut out = String::with_capacity(bucket.len() + key.len() * 3 + 2);
    out.push('/');
    uri_encode_bytes_into(bucket.as_bytes(), true, &mut out);
    out.push('/');
    uri_encode_bytes_into(key.as_bytes(), false, &mut out);
    out
}

/// Decodes `%XX` escapes into raw bytes. Invalid escapes are kept literally
/// and `+` stays a plus (AWS never treats `+` as a space when signing).
pub fn percent_decode(input: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(input).collect()
}

/// Value of an ASCII hex digit (either case).
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends the bytes of `input` with `%XX` escapes decoded to `out`, exactly as
/// [`percent_decode`] does: an invalid escape keeps its `%` literally.
fn percent_decode_into(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut rest = input;
    while let Some(pos) = memchr::memchr(b'%', rest) {
        out.extend_from_slice(&rest[..pos]);
        let escape = &rest[pos..];
        match (
            escape.get(1).copied().and_then(hex_value),
            escape.get(2).copied().and_then(hex_value),
        ) {
            (Some(h), Some(l)) => {
                out.push((h << 4) | l);
                rest = &escape[3..];
            }
            _ => {
                out.push(b'%');
                rest = &escape[1..];
            }
        }
    }
    out.extend_from_slice(rest);
}

/// Like [`percent_decode_lossy`] but decoding into `buf` rather than the heap.
/// `None` when the decoded bytes do not fit or are not valid UTF-8 (the caller
/// then takes the lossy heap path, which gives the same string when valid).
pub(crate) fn percent_decode_in<'b>(input: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    let mut len = 0;
    let mut push = |bytes: &[u8]| -> Option<()> {
        buf.get_mut(len..len + bytes.len())?.copy_from_slice(bytes);
        len += bytes.len();
        Some(())
    };
    // The runs between escapes are copied whole, as `percent_decode_into` does.
    let mut rest = input.as_bytes();
    while let Some(pos) = memchr::memchr(b'%', rest) {
        let (run, escape) = rest.split_at(pos);
        push(run)?;
        match (
            escape.get(1).copied().and_then(hex_value),
            escape.get(2).copied().and_then(hex_value),
        ) {
            (Some(h), Some(l)) => {
                push(&[(h << 4) | l])?;
                rest = escape.get(3..).unwrap_or_default();
            }
            _ => {
                push(b"%")?;
                rest = escape.get(1..).unwrap_or_default();
            }
        }
    }
    push(rest)?;
    std::str::from_utf8(buf.get(..len)?).ok()
}

/// Decodes `%XX` escapes into a string, replacing invalid UTF-8 lossily. Borrows
/// `input` when it holds no `%` (nothing to decode; `+` stays a plus).
pub(crate) fn percent_decode_lossy(input: &str) -> Cow<'_, str> {
    if memchr::memchr(b'%', input.as_bytes()).is_none() {
        return Cow::Borrowed(input);
    }
    let mut bytes = Vec::new();
    percent_decode_into(input.as_bytes(), &mut bytes);
    match String::from_utf8(bytes) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Re-encodes an already percent-encoded string in AWS canonical form:
/// decode every escape, then encode each byte with [`uri_encode_bytes`].
#[cfg(test)]
pub(crate) fn reencode(input: &str, encode_slash: bool) -> String {
    let mut out = String::new();
    reencode_into(input, encode_slash, &mut out);
    out
}

/// Appends the canonical re-encoding of `input` (see [`reencode`]) to `out`.
pub(crate) fn reencode_into(input: &str, encode_slash: bool, out: &mut String) {
    if is_canonical(input.as_bytes(), encode_slash) {
        out.push_str(input);
    } else {
        reencode_slow(input, encode_slash, out);
    }
}

/// The canonical re-encoding of `input` (see [`reencode`]) as a new string, without the
/// canonical-form check: for input already known not to be canonical.
pub(crate) fn reencode_owned(input: &str, encode_slash: bool) -> String {
    let mut out = String::new();
    reencode_slow(input, encode_slash, &mut out);
    out
}

fn reencode_slow(input: &str, encode_slash: bool, out: &mut String) {
    let mut decoded = Vec::new();
    percent_decode_into(input.as_bytes(), &mut decoded);
    out.reserve(decoded.len() * 3);
    uri_encode_bytes_into(&decoded, encode_slash, out);
}

/// Whether `input` already equals `uri_encode(percent_decode(input))`: only bytes kept as
/// they are, and `%XX` escapes (uppercase hex) of bytes that must be escaped. The common case
/// for SDK-made paths and query strings, so re-encoding can skip the decode and the copy per
/// byte. Only the bytes that are not unreserved are looked at (sixteen at a time).
fn is_canonical(input: &[u8], encode_slash: bool) -> bool {
    try_for_each_reserved(input, |i, b| {
        (b == b'/' && !encode_slash) || is_canonical_escape(input, i, encode_slash)
    })
}

/// Whether `bytes[i..]` starts with an escape that canonical SigV4 encoding writes the same
/// way: `%`, two uppercase hex digits, and a byte that is not kept as it is (unreserved,
/// or `/` when `encode_slash` is false). The digits are unreserved, so a scan for
/// reserved bytes never stops on them.
pub(crate) fn is_canonical_escape(bytes: &[u8], i: usize, encode_slash: bool) -> bool {
    let upper_hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    match bytes.get(i..i + 3) {
        Some(&[b'%', h, l]) => match (upper_hex(h), upper_hex(l)) {
            (Some(h), Some(l)) => {
                let decoded = (h << 4) | l;
                !(is_unreserved(decoded) || (decoded == b'/' && !encode_slash))
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time definition `is_canonical` must match.
    fn is_canonical_reference(input: &[u8], encode_slash: bool) -> bool {
        let hex = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        };
        let kept = |b: u8| is_unreserved(b) || (b == b'/' && !encode_slash);
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            if b == b'%' {
                let (Some(&h), Some(&l)) = (input.get(i + 1), input.get(i + 2)) else {
                    return false;
                };
                match (hex(h), hex(l)) {
                    (Some(h), Some(l)) if !kept((h << 4) | l) => i += 3,
                    _ => return false,
                }
            } else if kept(b) {
                i += 1;
            } else {
                return false;
            }
        }
        true
    }

    proptest::proptest! {
        /// Paths and query parts with escapes of every kind, slashes and other
        /// reserved bytes, long enough to cross several sixteen-byte blocks.
        #[test]
        fn is_canonical_matches_the_byte_loop(
            s in proptest::prop_oneof![
                // Mostly canonical, with at most one doubtful element somewhere.
                "(%[0-9A-F]{2}|%2F|/|[A-Za-z0-9._~-]{1,6}){0,10}(|%[0-9a-g]{0,2}|[+é =&/%])(%[0-9A-F]{2}|%2F|/|[A-Za-z0-9._~-]{1,6}){0,10}",
                // Anything goes.
                "(%[0-9A-Fa-fg]{0,2}|[a/+~é =&.-]|[A-Za-z0-9]{1,9}){0,30}",
            ],
            encode_slash in proptest::prelude::any::<bool>(),
        ) {
            proptest::prop_assert_eq!(
                is_canonical(s.as_bytes(), encode_slash),
                is_canonical_reference(s.as_bytes(), encode_slash),
                "{:?}", s
            );
        }
    }

    #[test]
    fn unreserved_kept() {
        let s = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        assert_eq!(uri_encode(s, true), s);
    }

    #[test]
    fn unreserved_table() {
        for b in 0..=255u8 {
            let want = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
            assert_eq!(is_unreserved(b), want, "{b}");
        }
    }

    #[test]
    fn reserved_encoded_upper() {
        assert_eq!(uri_encode("é ", true), "%C3%A9%20");
        assert_eq!(uri_encode("=&?%+*", true), "%3D%26%3F%25%2B%2A");
    }

    #[test]
    fn reencode_fast_path_matches_slow_path() {
        for s in [
            "abc",
            "a%20b",
            "%2F",
            "/",
            "%2f",
            "%41",
            "a+b",
            "%C3%A9",
            "%",
            "%4",
            "%zz",
            "x%2Fy/z",
            "~._-",
            "%7E",
            "%2B",
            "a b",
            "",
            "%2F%2F",
            "a%2",
            "a%2F",
            "%2Fa",
            "a/%2F/b",
            "%%2F",
            "%2F%",
            "%C3%a9",
            "AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request",
        ] {
            for slash in [true, false] {
                let slow = uri_encode_bytes(&percent_decode(s), slash);
                assert_eq!(reencode(s, slash), slow, "{s:?} encode_slash={slash}");
            }
        }
    }

    proptest::proptest! {
        /// Escapes (valid, truncated, lowercase, of kept bytes), slashes, `+`, spaces and
        /// unicode at every offset: the fast check agrees with decoding and re-encoding.
        #[test]
        fn reencode_fast_path_matches_slow_path_on_generated_input(
            s in "[a%2F7Eeg/+ é~]{0,40}",
            slash in proptest::bool::ANY,
        ) {
            let slow = uri_encode_bytes(&percent_decode(&s), slash);
            proptest::prop_assert_eq!(reencode(&s, slash), slow.clone());
            proptest::prop_assert_eq!(reencode_owned(&s, slash), slow);
        }
    }

    #[test]
    fn fast_decoder_matches_percent_encoding_crate() {
        for s in [
            "",
            "%",
            "%4",
            "%41",
            "%4g",
            "%%41",
            "a%2fb%2F",
            "%zz%",
            "%C3%A9",
            "%c3",
            "%ff%fe",
            "100%",
            "%%%",
            "a+b",
            "%e1%88%b4x",
        ] {
            let mut fast = Vec::new();
            percent_decode_into(s.as_bytes(), &mut fast);
            assert_eq!(fast, percent_decode(s), "{s:?}");
            assert_eq!(
                percent_decode_lossy(s),
                String::from_utf8_lossy(&percent_decode(s)),
                "{s:?}"
            );
            let mut buf = [0u8; 64];
            match percent_decode_in(s, &mut buf) {
                Some(d) => assert_eq!(d.as_bytes(), percent_decode(s), "{s:?}"),
                None => assert!(std::str::from_utf8(&percent_decode(s)).is_err(), "{s:?}"),
            }
            let mut tiny = [0u8; 2];
            if percent_decode(s).len() > 2 {
                assert_eq!(percent_decode_in(s, &mut tiny), None, "{s:?}");
            }
        }
    }

    proptest::proptest! {
        /// The stack decoder gives what the reference decoder gives, or `None` when
        /// that does not fit the buffer or is not UTF-8.
        #[test]
        fn stack_decoder_matches_reference(s in "(%[0-9A-Fa-fg]{0,2}|[a+/é%])*", size in 0usize..24) {
            let mut buf = vec![0u8; size];
            let expected = percent_decode(&s);
            match percent_decode_in(&s, &mut buf) {
                Some(d) => proptest::prop_assert_eq!(d.as_bytes(), &expected[..]),
                None => proptest::prop_assert!(
                    expected.len() > size || std::str::from_utf8(&expected).is_err()
                ),
            }
        }
    }

    #[test]
    fn reencode_normalises_hex_case() {
        assert_eq!(reencode("%c3%a9/x%2fy", false), "%C3%A9/x/y");
        assert_eq!(reencode("100%", true), "100%25");
        assert_eq!(reencode("%zz", true), "%25zz");
    }
}
