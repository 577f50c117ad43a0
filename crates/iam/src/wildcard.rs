//! IAM wildcard matching: `*` matches any run of characters, `?` exactly one.

/// Whether `text` matches `pattern`, where `*` stands for any sequence (also empty) and `?`
/// for one character. Byte-exact otherwise; callers lowercase both sides for
/// case-insensitive matching (actions). Linear-time backtracking, no allocation.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'?' {
            pi += 1;
            ti += char_len(t[ti]);
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += char_len(t[mark]);
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Length of the UTF-8 sequence starting with `lead` (1 for stray continuation bytes).
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard_match as m;

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything/at/all", true),
            ("", "", true),
            ("", "a", false),
            ("a", "a", true),
            ("a", "A", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("a??c", "aéc", false),
            ("s3:get*", "s3:getobject", true),
            ("s3:*object", "s3:putobject", true),
            ("s3:*object", "s3:putobjectacl", false),
            ("arn:aws:s3:::b/home/*", "arn:aws:s3:::b/home/x/y", true),
            ("arn:aws:s3:::b/home/*", "arn:aws:s3:::b/homer", false),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c*", "xxaxxcxxbxx", false),
            ("a*", "a", true),
            ("a*?", "a", false),
            ("*?", "é", true),
            ("*??", "é", false),
            ("**", "x", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), *want, "pattern {p:?} text {t:?}");
        }
    }
}
