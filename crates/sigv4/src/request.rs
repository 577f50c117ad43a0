//! The transport-neutral view of an HTTP request that verification works on.

use std::borrow::Cow;

use crate::encoding::{
    is_canonical_escape, percent_decode_in, percent_decode_lossy, reencode_owned,
};
use crate::reserved_scan::try_for_each_reserved;

/// A view of an HTTP request, built by the server from its HTTP types.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// Path exactly as on the wire (percent-encoded), without the query.
    pub raw_path: &'a str,
    /// Query exactly as on the wire, without `?`; may be empty.
    pub raw_query: &'a str,
    /// Headers: lowercase names, values as received, arrival order, repeats allowed.
    pub headers: &'a [(String, String)],
}

impl<'a> RequestView<'a> {
    /// All values of a header, in arrival order (name matched case-insensitively).
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The canonical (SigV4) value of a header: each occurrence trimmed with inner
    /// space runs collapsed, occurrences joined with `,`. `None` when absent.
    pub fn canonical_header_value(&self, name: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for value in self.header_values(name) {
            match out.as_mut() {
                Some(acc) => {
                    acc.push(',');
                    push_trimmed_collapsed(acc, value);
                }
                None => {
                    let mut acc = String::with_capacity(value.len());
                    push_trimmed_collapsed(&mut acc, value);
                    out = Some(acc);
                }
            }
        }
        out
    }

    /// Appends [`canonical_header_value`](Self::canonical_header_value) to `out`;
    /// false (and nothing appended) when the header is absent.
    pub(crate) fn push_canonical_header_value(&self, name: &str, out: &mut String) -> bool {
        let mut found = false;
        for value in self.header_values(name) {
            if found {
                out.push(',');
            }
            push_trimmed_collapsed(out, value);
            found = true;
        }
        found
    }

    /// The canonical value of a header, borrowed when it occurs once and needs no
    /// trimming or space collapsing (the usual case).
    pub(crate) fn canonical_header_value_cow(&self, name: &str) -> Option<Cow<'a, str>> {
        let mut values = self.header_values(name);
        let first = values.next()?;
        let mut rest = values.peekable();
        if rest.peek().is_none() && is_trimmed_collapsed(first) {
            return Some(Cow::Borrowed(first));
        }
        let mut acc = String::with_capacity(first.len());
        push_trimmed_collapsed(&mut acc, first);
        for value in rest {
            acc.push(',');
            push_trimmed_collapsed(&mut acc, value);
        }
        Some(Cow::Owned(acc))
    }

    /// Number of occurrences of a header.
    pub(crate) fn header_count(&self, name: &str) -> usize {
        self.header_values(name).count()
    }
}

fn is_trim_char(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Whether `push_trimmed_collapsed` would copy `value` unchanged.
fn is_trimmed_collapsed(value: &str) -> bool {
    let b = value.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if is_trim_char(f) || is_trim_char(l) => return false,
        _ => {}
    }
    !b.windows(2).any(|w| w == b"  ")
}

/// Appends `value` trimmed, with every run of spaces collapsed to one space.
pub(crate) fn push_trimmed_collapsed(out: &mut String, value: &str) {
    let value = value.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n');
    let bytes = value.as_bytes();
    // Copy the runs between spaces whole; `' '` is ASCII, so every cut is on a char boundary.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            out.push_str(&value[start..=i]);
            i += 1;
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            start = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&value[start..]);
}

/// One `name=value` pair of a query string: raw, with the decoded name.
#[derive(Debug, Clone)]
pub(crate) struct QueryParam<'a> {
    /// Name as on the wire.
    pub raw_name: &'a str,
    /// Value as on the wire (empty when the pair has no `=`).
    pub raw_value: &'a str,
    /// Whether the pair contained `=` (`acl` vs `acl=`).
    pub has_equals: bool,
    /// Where the pair starts in the raw query, and where it ends (exclusive).
    pub span: (usize, usize),
    /// Whether `raw_value` holds only unreserved bytes (so it is its own decoding
    /// and its own canonical encoding).
    value_plain: bool,
    /// Whether `raw_value` is its own canonical encoding: unreserved bytes and
    /// uppercase escapes of bytes that must be escaped.
    value_canonical: bool,
    /// Whether `raw_name` is its own canonical encoding.
    name_canonical: bool,
    /// Percent-decoded name (`+` stays `+`).
    pub name: Cow<'a, str>,
}

impl<'a> QueryParam<'a> {
    /// Percent-decoded value (`+` stays `+`).
    pub fn value(&self) -> Cow<'a, str> {
        if self.value_plain {
            Cow::Borrowed(self.raw_value)
        } else {
            percent_decode_lossy(self.raw_value)
        }
    }

    /// [`value`](Self::value), decoded into `buf` when it has escapes and fits
    /// (no allocation); the same string either way.
    pub fn value_in<'b>(&self, buf: &'b mut [u8]) -> Cow<'b, str>
    where
        'a: 'b,
    {
        if self.value_plain {
            return Cow::Borrowed(self.raw_value);
        }
        match percent_decode_in(self.raw_value, buf) {
            Some(decoded) => Cow::Borrowed(decoded),
            None => self.value(),
        }
    }

    /// The name in canonical SigV4 encoding.
    pub fn canonical_name(&self) -> Cow<'a, str> {
        if self.name_canonical {
            Cow::Borrowed(self.raw_name)
        } else {
            Cow::Owned(reencode_owned(self.raw_name, true))
        }
    }

    /// Whether the name and the value are both already in canonical form (so
    /// [`canonical_name`](Self::canonical_name) and [`canonical_value`](Self::canonical_value)
    /// borrow).
    pub fn is_canonical(&self) -> bool {
        self.name_canonical && self.value_canonical
    }

    /// The value in canonical SigV4 encoding.
    pub fn canonical_value(&self) -> Cow<'a, str> {
        if self.value_canonical {
            Cow::Borrowed(self.raw_value)
        } else {
            Cow::Owned(reencode_owned(self.raw_value, true))
        }
    }
}

/// Splits a raw query on `&` (empty segments skipped), each segment on its first `=`,
/// and decodes each name (values are decoded on demand). One pass over the bytes,
/// which also notes which parts need no decoding or re-encoding.
pub(crate) fn parse_query(raw_query: &str) -> Vec<QueryParam<'_>> {
    if raw_query.is_empty() {
        return Vec::new();
    }
    let bytes = raw_query.as_bytes();
    // Count `&` in byte-sized sums, which vectorise (a `usize` count per byte does not).
    let separators: usize = bytes
        .chunks(255)
        .map(|chunk| usize::from(chunk.iter().map(|&b| u8::from(b == b'&')).sum::<u8>()))
        .sum();
    let mut params = Vec::with_capacity(separators + 1);
    let mut segment = Segment::starting_at(0);
    // Only the bytes that are not unreserved (`&`, `=`, escapes, ...) change the state,
    // and they are found eight at a time.
    try_for_each_reserved(bytes, |i, b| {
        if b == b'&' {
            segment.push_to(&mut params, raw_query, i);
            segment = Segment::starting_at(i + 1);
        } else if segment.equals.is_some() {
            segment.value_plain = false;
            segment.value_canonical &= is_canonical_escape(bytes, i, true);
        } else if b == b'=' {
            segment.equals = Some(i);
        } else {
            segment.name_plain = false;
            segment.name_canonical &= is_canonical_escape(bytes, i, true);
        }
        true
    });
    segment.push_to(&mut params, raw_query, bytes.len());
    params
}

/// The query segment being scanned: where it starts, its first `=`, and whether its
/// name and value are free of bytes that need decoding, or else already canonical.
struct Segment {
    start: usize,
    equals: Option<usize>,
    name_plain: bool,
    value_plain: bool,
    name_canonical: bool,
    value_canonical: bool,
}

impl Segment {
    fn starting_at(start: usize) -> Self {
        Segment {
            start,
            equals: None,
            name_plain: true,
            value_plain: true,
            name_canonical: true,
            value_canonical: true,
        }
    }

    /// Pushes the segment ending at `end` (exclusive) unless it is empty.
    fn push_to<'a>(&self, params: &mut Vec<QueryParam<'a>>, raw_query: &'a str, end: usize) {
        if end <= self.start {
            return;
        }
        // `&` and `=` are ASCII, so every cut is on a char boundary.
        let (raw_name, raw_value) = match self.equals {
            Some(eq) => (
                raw_query.get(self.start..eq).unwrap_or_default(),
                raw_query.get(eq + 1..end).unwrap_or_default(),
            ),
            None => (raw_query.get(self.start..end).unwrap_or_default(), ""),
        };
        params.push(QueryParam {
            raw_name,
            raw_value,
            has_equals: self.equals.is_some(),
            span: (self.start, end),
            value_plain: self.value_plain,
            value_canonical: self.value_canonical,
            name_canonical: self.name_canonical,
            name: if self.name_plain {
                Cow::Borrowed(raw_name)
            } else {
                percent_decode_lossy(raw_name)
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward split this parser must match.
    fn reference(raw_query: &str) -> Vec<(String, String, bool, String, String)> {
        raw_query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|segment| {
                let (n, v) = segment.split_once('=').unwrap_or((segment, ""));
                (
                    n.to_owned(),
                    v.to_owned(),
                    segment.contains('='),
                    String::from_utf8_lossy(&crate::encoding::percent_decode(n)).into_owned(),
                    String::from_utf8_lossy(&crate::encoding::percent_decode(v)).into_owned(),
                )
            })
            .collect()
    }

    /// What `parse_query` found, in the reference's terms.
    fn parsed(raw_query: &str) -> Vec<(String, String, bool, String, String)> {
        parse_query(raw_query)
            .iter()
            .map(|p| {
                (
                    p.raw_name.to_owned(),
                    p.raw_value.to_owned(),
                    p.has_equals,
                    p.name.clone().into_owned(),
                    p.value().into_owned(),
                )
            })
            .collect()
    }

    proptest::proptest! {
        /// Queries over the bytes that matter (separators, escapes, `+`, unicode) of
        /// every length, so each chunk boundary and the padded tail are crossed.
        #[test]
        fn parse_query_matches_reference_on_generated_queries(
            q in "[a&=%2F+é~ ._zZ09-]{0,70}"
        ) {
            let got = parsed(&q);
            proptest::prop_assert_eq!(got, reference(&q));
            for p in parse_query(&q) {
                proptest::prop_assert_eq!(p.canonical_name(), crate::encoding::reencode(p.raw_name, true));
                proptest::prop_assert_eq!(p.canonical_value(), crate::encoding::reencode(p.raw_value, true));
            }
        }

        /// Escapes of every kind (upper and lower case, cut short, of unreserved and of
        /// reserved bytes, next to separators): the canonical forms found during the
        /// split are those of decoding and re-encoding.
        #[test]
        fn canonical_forms_match_reencoding_on_escapes(
            q in "(%[0-9A-Ga-g]{0,2}|[a&=/+~é -]){0,40}"
        ) {
            proptest::prop_assert_eq!(parsed(&q), reference(&q));
            for p in parse_query(&q) {
                proptest::prop_assert_eq!(p.canonical_name(), crate::encoding::reencode(p.raw_name, true));
                proptest::prop_assert_eq!(p.canonical_value(), crate::encoding::reencode(p.raw_value, true));
            }
        }
    }

    #[test]
    fn parse_query_matches_reference() {
        for q in [
            "",
            "&",
            "&&a=1&",
            "a",
            "a=",
            "=",
            "=x",
            "a=b=c",
            "a%3D=b%26&c+d=%zz&%C3%A9=%c3%a9",
            "X-Amz-Credential=AK%2F2013%2Fus%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z",
            "k=a+b&j=%2f&k=é&x=~._-",
        ] {
            let got = parsed(q);
            assert_eq!(got, reference(q), "{q:?}");
            for p in parse_query(q) {
                assert_eq!(
                    p.canonical_name(),
                    crate::encoding::reencode(p.raw_name, true)
                );
                assert_eq!(
                    p.canonical_value(),
                    crate::encoding::reencode(p.raw_value, true)
                );
            }
        }
    }
}
