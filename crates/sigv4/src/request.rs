//! The transport-neutral view of an HTTP request that verification works on.

use std::borrow::Cow;

use crate::encoding::{percent_decode_in, percent_decode_lossy, reencode_cow};

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
    /// Whether `raw_value` holds only unreserved bytes (so it is its own decoding
    /// and its own canonical encoding).
    value_plain: bool,
    /// Whether `raw_name` holds only unreserved bytes.
    name_plain: bool,
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
        if self.name_plain {
            Cow::Borrowed(self.raw_name)
        } else {
            reencode_cow(self.raw_name, true)
        }
    }

    /// The value in canonical SigV4 encoding.
    pub fn canonical_value(&self) -> Cow<'a, str> {
        if self.value_plain {
            Cow::Borrowed(self.raw_value)
        } else {
            reencode_cow(self.raw_value, true)
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
    // and they are found sixteen at a time.
    for_each_reserved(bytes, |i, b| {
        if b == b'&' {
            segment.push_to(&mut params, raw_query, i);
            segment = Segment::starting_at(i + 1);
        } else if segment.equals.is_some() {
            segment.value_plain = false;
        } else if b == b'=' {
            segment.equals = Some(i);
        } else {
            segment.name_plain = false;
        }
    });
    segment.push_to(&mut params, raw_query, bytes.len());
    params
}

/// The query segment being scanned: where it starts, its first `=`, and whether its
/// name and value are free of bytes that need decoding.
struct Segment {
    start: usize,
    equals: Option<usize>,
    name_plain: bool,
    value_plain: bool,
}

impl Segment {
    fn starting_at(start: usize) -> Self {
        Segment {
            start,
            equals: None,
            name_plain: true,
            value_plain: true,
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
            value_plain: self.value_plain,
            name_plain: self.name_plain,
            name: if self.name_plain {
                Cow::Borrowed(raw_name)
            } else {
                percent_decode_lossy(raw_name)
            },
        });
    }
}

/// Calls `f(index, byte)` for every byte of `bytes` that is not unreserved, in order.
fn for_each_reserved(bytes: &[u8], mut f: impl FnMut(usize, u8)) {
    const LANES: usize = 16;
    let mut chunks = bytes.chunks_exact(LANES);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut lanes = [0u8; LANES];
        lanes.copy_from_slice(chunk);
        visit_mask(reserved_mask(&lanes), &lanes, base, &mut f);
        base += LANES;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        // Padding with an unreserved byte keeps the tail on the same path.
        let mut lanes = [b'a'; LANES];
        lanes[..tail.len()].copy_from_slice(tail);
        visit_mask(reserved_mask(&lanes), &lanes, base, &mut f);
    }
}

fn visit_mask(mut mask: u16, lanes: &[u8; 16], base: usize, f: &mut impl FnMut(usize, u8)) {
    while mask != 0 {
        let lane = mask.trailing_zeros() as usize;
        f(base + lane, lanes[lane & 15]);
        mask &= mask - 1;
    }
}

/// Bit `i` set when `lanes[i]` is not unreserved: two [`reserved_bits`] words packed.
fn reserved_mask(lanes: &[u8; 16]) -> u16 {
    let [l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7] = *lanes;
    let low = reserved_bits(u64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7]));
    let high = reserved_bits(u64::from_le_bytes([h0, h1, h2, h3, h4, h5, h6, h7]));
    pack_flags(low >> 7) | (pack_flags(high >> 7) << 8)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// For each byte of `word`, `0x80` when it is not unreserved, else `0`: byte-wise
/// compares in one register, none of which carries into the next byte.
fn reserved_bits(word: u64) -> u64 {
    let ascii = !word & HIGH;
    let seven = word & LOW7;
    // High bit set where the (7-bit) byte is in `lo..=hi`.
    let in_range = |bytes: u64, lo: u8, hi: u8| {
        let at_least = bytes + ONES * u64::from(0x80 - lo);
        let above = bytes + ONES * u64::from(0x7f - hi);
        at_least & !above & HIGH
    };
    // High bit set where the byte equals `c`.
    let equals = |c: u8| {
        let diff = seven ^ (ONES * u64::from(c));
        !(((diff & LOW7) + LOW7) | diff) & HIGH
    };
    let unreserved = (in_range(seven, b'0', b'9')
        | in_range(seven | (ONES * 0x20), b'a', b'z')
        | equals(b'-')
        | equals(b'.')
        | equals(b'_')
        | equals(b'~'))
        & ascii;
    !unreserved & HIGH
}

/// Packs a word of 0/1 bytes into the bits of a byte (byte `i` to bit `i`): the
/// multiplication moves byte `i`'s bit to bit `56 + i`.
fn pack_flags(flags: u64) -> u16 {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    // The bits are only 8 positions apart, so no product term carries into the top byte.
    (flags.wrapping_mul(GATHER) >> 56) as u16
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

    #[test]
    fn pack_flags_packs_every_pattern() {
        for pattern in 0u16..256 {
            let flags: [u8; 8] = std::array::from_fn(|i| u8::from(pattern & (1 << i) != 0));
            assert_eq!(pack_flags(u64::from_le_bytes(flags)), pattern);
        }
    }

    #[test]
    fn reserved_mask_agrees_with_the_unreserved_table() {
        for start in (0..=255u8).step_by(16) {
            let lanes: [u8; 16] = std::array::from_fn(|i| start.wrapping_add(i as u8));
            let expected = (0..16).fold(0u16, |m, i| {
                m | (u16::from(!crate::encoding::is_unreserved(lanes[i])) << i)
            });
            assert_eq!(reserved_mask(&lanes), expected, "bytes from {start}");
        }
    }

    proptest::proptest! {
        /// Queries over the bytes that matter (separators, escapes, `+`, unicode) of
        /// every length, so each chunk boundary and the padded tail are crossed.
        #[test]
        fn parse_query_matches_reference_on_generated_queries(
            q in "[a&=%2F+é~ ._zZ09-]{0,70}"
        ) {
            let got: Vec<_> = parse_query(&q)
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
                .collect();
            proptest::prop_assert_eq!(got, reference(&q));
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
            let got: Vec<_> = parse_query(q)
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
                .collect();
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
