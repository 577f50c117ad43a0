//! Decoded query parameters of a request.

use percent_encoding::percent_decode;

/// Query parameters in arrival order, percent-decoded (a `+` stays a literal plus, as S3 reads it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Parses a raw query string (without `?`). Invalid UTF-8 is replaced lossily.
    pub fn parse(raw: &str) -> Self {
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        QueryParams { pairs }
    }

    /// The first value of `name`, if present (case-sensitive like S3).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present (with or without a value).
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// All pairs in arrival order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

fn decode(s: &str) -> String {
    percent_decode(s.as_bytes())
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_values_and_plus() {
        let q = QueryParams::parse("uploads&prefix=a%2Fb+c&empty=&x=1&x=2");
        assert!(q.has("uploads"));
        assert_eq!(q.get("uploads"), Some(""));
        assert_eq!(q.get("prefix"), Some("a/b+c"));
        assert_eq!(q.get("empty"), Some(""));
        assert_eq!(q.get("x"), Some("1"));
        assert_eq!(q.get("missing"), None);
    }
}
