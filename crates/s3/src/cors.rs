//! CORS rules (a bucket's `CORSConfiguration` or the server-wide default) and how a browser
//! request is matched against them, as S3 does.

/// Methods a CORS rule may allow.
pub const CORS_METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

/// Most rules one `CORSConfiguration` may hold.
pub const MAX_CORS_RULES: usize = 100;

/// One `CORSRule`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRule {
    /// Optional rule id (at most 255 characters).
    pub id: Option<String>,
    /// Origins, each with at most one `*` wildcard.
    pub allowed_origins: Vec<String>,
    /// Methods (GET, PUT, POST, DELETE, HEAD).
    pub allowed_methods: Vec<String>,
    /// Headers a preflight may ask for, each with at most one `*` (case-insensitive).
    pub allowed_headers: Vec<String>,
    /// Response headers the browser may read (`Access-Control-Expose-Headers`).
    pub expose_headers: Vec<String>,
    /// How long the browser may cache the preflight answer.
    pub max_age_seconds: Option<u32>,
}

/// A browser request to match: the preflight's `Access-Control-Request-*` or a real request.
#[derive(Debug, Clone, Copy)]
pub struct CorsRequest<'a> {
    /// The `Origin` header.
    pub origin: &'a str,
    /// The method (`Access-Control-Request-Method` for a preflight).
    pub method: &'a str,
    /// Header names asked for by a preflight (`Access-Control-Request-Headers`); empty otherwise.
    pub request_headers: &'a [String],
}

impl CorsRule {
    /// Whether this rule allows the request: origin and method match, and every requested
    /// header matches one of the allowed headers.
    pub fn allows(&self, req: &CorsRequest<'_>) -> bool {
        self.allowed_origins
            .iter()
            .any(|o| wildcard_match(o, req.origin, false))
            && self.allowed_methods.iter().any(|m| m == req.method)
            && req.request_headers.iter().all(|h| {
                self.allowed_headers
                    .iter()
                    .any(|a| wildcard_match(a, h, true))
            })
    }

    /// Whether the rule allows every origin (`AllowedOrigin` `*`): the answer is then `*`
    /// without credentials.
    pub fn allows_any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }
}

/// The first rule allowing the request, as S3 picks it.
pub fn find_cors_rule<'r>(rules: &'r [CorsRule], req: &CorsRequest<'_>) -> Option<&'r CorsRule> {
    rules.iter().find(|r| r.allows(req))
}

/// Splits an `Access-Control-Request-Headers` value into lower-case names.
pub fn parse_request_headers(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// Matches `value` against `pattern`, which holds at most one `*` standing for any run of
/// characters.
fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (p, v) = if ignore_case {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_string(), value.to_string())
    };
    match p.split_once('*') {
        None => p == v,
        Some((prefix, suffix)) => {
            v.len() >= prefix.len() + suffix.len() && v.starts_with(prefix) && v.ends_with(suffix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        CorsRule {
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            allowed_methods: methods.iter().map(|s| s.to_string()).collect(),
            allowed_headers: headers.iter().map(|s| s.to_string()).collect(),
            ..CorsRule::default()
        }
    }

    #[test]
    fn matches_origin_method_headers() {
        let r = rule(&["https://*.example.com"], &["PUT"], &["content-*"]);
        let hs = parse_request_headers("Content-Type, content-md5");
        let req = |origin, method, headers| CorsRequest {
            origin,
            method,
            request_headers: headers,
        };
        assert!(r.allows(&req("https://app.example.com", "PUT", &hs)));
        assert!(!r.allows(&req("https://example.com", "PUT", &[])));
        assert!(!r.allows(&req("http://app.example.com", "PUT", &[])));
        assert!(!r.allows(&req("https://app.example.com", "GET", &[])));
        let other = parse_request_headers("x-amz-date");
        assert!(!r.allows(&req("https://app.example.com", "PUT", &other)));
        assert!(rule(&["*"], &["GET"], &[]).allows(&req("null", "GET", &[])));
        assert!(!rule(&["https://a.test"], &["GET"], &[]).allows(&req(
            "https://A.test",
            "GET",
            &[]
        )));
    }
}
