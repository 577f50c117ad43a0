//! The transport-neutral view of an HTTP request that verification works on.

use crate::encoding::percent_decode_lossy;

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

    /// Number of occurrences of a header.
    pub(crate) fn header_count(&self, name: &str) -> usize {
        self.header_values(name).count()
    }
}

/// Appends `value` trimmed, with every run of spaces collapsed to one space.
pub(crate) fn push_trimmed_collapsed(out: &mut String, value: &str) {
    let mut previous_space = false;
    for ch in value
        .trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n')
        .chars()
    {
        if ch == ' ' {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
        } else {
            out.push(ch);
            previous_space = false;
        }
    }
}

/// One `name=value` pair of a query string, raw and decoded.
#[derive(Debug, Clone)]
pub(crate) struct QueryParam<'a> {
    /// Name as on the wire.
    pub raw_name: &'a str,
    /// Value as on the wire (empty when the pair has no `=`).
    pub raw_value: &'a str,
    /// Whether the pair contained `=` (`acl` vs `acl=`).
    pub has_equals: bool,
    /// Percent-decoded name (`+` stays `+`).
    pub name: String,
    /// Percent-decoded value (`+` stays `+`).
    pub value: String,
}

/// Splits a raw query on `&` (empty segments skipped) and decodes each pair.
pub(crate) fn parse_query(raw_query: &str) -> Vec<QueryParam<'_>> {
    raw_query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (raw_name, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
            QueryParam {
                raw_name,
                raw_value,
                has_equals: segment.contains('='),
                name: percent_decode_lossy(raw_name),
                value: percent_decode_lossy(raw_value),
            }
        })
        .collect()
}
