//! Policy variables in resources: `${aws:username}` and friends, filled from the request's
//! condition context; `${*}`, `${?}` and `${$}` stand for literal `*`, `?` and `$`.

use crate::context::ConditionContext;
use crate::wildcard::wildcard_match;

/// Whether `resource` matches `pattern` after its variables are filled in. A variable whose
/// key the request lacks makes the pattern match nothing (as in AWS).
pub(crate) fn resource_matches(pattern: &str, resource: &str, ctx: &ConditionContext) -> bool {
    if !pattern.contains("${") {
        return wildcard_match(pattern, resource);
    }
    match expand(pattern, ctx) {
        Some(Expanded { pattern, literal }) if literal => {
            // A literal `*`/`?` from `${*}`/`${?}` must match itself only: compare segments.
            literal_match(&pattern, resource)
        }
        Some(Expanded { pattern, .. }) => wildcard_match(&pattern, resource),
        None => false,
    }
}

struct Expanded {
    /// Pattern text; with `literal`, segments separated by NUL markers (see `expand`).
    pattern: String,
    literal: bool,
}

/// Substitutes variables. Values are inserted with `*`/`?` escaped as literals: the result
/// then holds `\u{0}` + char for each literal wildcard character.
fn expand(pattern: &str, ctx: &ConditionContext) -> Option<Expanded> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut literal = false;
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        let value = match name {
            "*" | "?" | "$" => name.to_string(),
            key => ctx.get(key)?.first()?.clone(),
        };
        for c in value.chars() {
            if c == '*' || c == '?' {
                out.push('\u{0}');
                literal = true;
            }
            out.push(c);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(Expanded {
        pattern: out,
        literal,
    })
}

/// Wildcard match where `\u{0}` + c means the literal character c.
fn literal_match(pattern: &str, text: &str) -> bool {
    // Translate to a char-level matcher: tokens are Any, One or Lit(c).
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '\u{0}' => Tok::Lit(chars.next().unwrap_or('\u{0}')),
            '*' => Tok::Any,
            '?' => Tok::One,
            other => Tok::Lit(other),
        });
    }
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        match toks.get(pi) {
            Some(Tok::One) => {
                pi += 1;
                ti += 1;
            }
            Some(Tok::Lit(c)) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            Some(Tok::Any) => {
                star = Some(pi);
                pi += 1;
                mark = ti;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    toks[pi..].iter().all(|t| *t == Tok::Any)
}

#[cfg(test)]
mod tests {
    use super::resource_matches as m;
    use crate::ConditionContext;

    #[test]
    fn variables() {
        let mut ctx = ConditionContext::new();
        ctx.set("aws:username", "alice");
        let p = "arn:aws:s3:::b/home/${aws:username}/*";
        assert!(m(p, "arn:aws:s3:::b/home/alice/x", &ctx));
        assert!(!m(p, "arn:aws:s3:::b/home/bob/x", &ctx));
        assert!(!m(
            p,
            "arn:aws:s3:::b/home/alice/x",
            &ConditionContext::new()
        ));
        assert!(m("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", &ctx));
        assert!(!m("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", &ctx));
        assert!(m("arn:aws:s3:::b/${$}x*", "arn:aws:s3:::b/$xyz", &ctx));
        assert!(!m(
            "arn:aws:s3:::b/${aws:username",
            "arn:aws:s3:::b/alice",
            &ctx
        ));
        // A value with wildcard characters matches only literally.
        let mut odd = ConditionContext::new();
        odd.set("aws:username", "a*");
        assert!(m(
            "arn:aws:s3:::b/${aws:username}/*",
            "arn:aws:s3:::b/a*/k",
            &odd
        ));
        assert!(!m(
            "arn:aws:s3:::b/${aws:username}/*",
            "arn:aws:s3:::b/abc/k",
            &odd
        ));
    }
}
