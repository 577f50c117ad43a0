//! HTML building blocks: escaping and the page layout. Every value that reaches a page goes
//! through [`esc`] (text and attributes alike).

use super::session::Session;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query parameter value for a link.
pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The hidden CSRF field every POST form carries.
pub fn csrf_field(session: &Session) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        esc(&session.csrf)
    )
}

/// A whole page: head, navigation (when logged in) and `body`.
pub fn layout(title: &str, session: Option<&Session>, body: &str) -> String {
    let nav = match session {
        Some(s) => format!(
            r#"<nav><a class="brand" href="/">Sluice</a><a href="/">Buckets</a><a href="/upload">Upload</a><a href="/presign">Presign</a><a href="/share">Share links</a><a href="/grants">Grants</a><span class="who">{}</span><form method="post" action="/logout" class="inline">{}<button type="submit" id="logout">Log out</button></form></nav>"#,
            esc(&s.access_key_id),
            csrf_field(s)
        ),
        None => r#"<nav><span class="brand">Sluice</span></nav>"#.to_string(),
    };
    let meta = session
        .map(|s| format!(r#"<meta name="csrf-token" content="{}">"#, esc(&s.csrf)))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{meta}
<title>{} · Sluice</title><link rel="stylesheet" href="/assets/console.css"><script src="/assets/console.js" defer></script></head>
<body>{nav}<main><h1>{}</h1>
{body}
</main></body></html>
"#,
        esc(title),
        esc(title)
    )
}

/// A plain error page (no navigation).
pub fn error_page(title: &str, message: &str) -> String {
    layout(
        title,
        None,
        &format!(
            r#"<p class="error" id="error">{}</p><p><a href="/">Back to the console</a></p>"#,
            esc(message)
        ),
    )
}

/// A byte count for people (`1.5 MiB`).
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_dangerous() {
        assert_eq!(
            esc(r#"<script>"a"&'b'</script>"#),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(q("a b&c/"), "a+b%26c%2F");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5), "5 B");
        assert_eq!(date(0), "1970-01-01 00:00:00 UTC");
    }
}
