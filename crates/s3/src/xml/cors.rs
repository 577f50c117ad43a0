//! The `CORSConfiguration` document: read (with AWS's validation) and written.

use crate::cors::{CorsRule, CORS_METHODS, MAX_CORS_RULES};
use crate::error::S3Error;
use crate::xml_writer::XmlWriter;

/// Longest `ID` AWS accepts.
const MAX_RULE_ID_CHARS: usize = 255;

struct CorsRuleDoc {
    id: Option<String>,
    allowed_origins: Vec<String>,
    allowed_methods: Vec<String>,
    allowed_headers: Vec<String>,
    expose_headers: Vec<String>,
    max_age_seconds: Option<String>,
}

/// Parses and validates a PutBucketCors body.
pub fn parse_cors_configuration(body: &[u8]) -> Result<Vec<CorsRule>, S3Error> {
    let doc = super::from_body(body, "CORSConfiguration")?;
    let rules: Vec<CorsRuleDoc> = doc
        .all("CORSRule")
        .map(|r| {
            let texts =
                |name: &str| -> Vec<String> { r.all(name).map(|e| e.text.clone()).collect() };
            CorsRuleDoc {
                id: r.text_of("ID").map(|s| s.trim().to_string()),
                allowed_origins: texts("AllowedOrigin"),
                allowed_methods: texts("AllowedMethod"),
                allowed_headers: texts("AllowedHeader"),
                expose_headers: texts("ExposeHeader"),
                max_age_seconds: r.text_of("MaxAgeSeconds").map(str::to_string),
            }
        })
        .collect();
    if rules.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if rules.len() > MAX_CORS_RULES {
        return Err(S3Error::invalid_request(format!(
            "The number of CORS rules should not exceed allowed limit of {MAX_CORS_RULES} rules."
        )));
    }
    rules.into_iter().map(validate_rule).collect()
}

fn validate_rule(doc: CorsRuleDoc) -> Result<CorsRule, S3Error> {
    let trim =
        |v: Vec<String>| -> Vec<String> { v.into_iter().map(|s| s.trim().to_string()).collect() };
    let rule = CorsRule {
        id: doc.id.filter(|s| !s.is_empty()),
        allowed_origins: trim(doc.allowed_origins),
        allowed_methods: trim(doc.allowed_methods),
        allowed_headers: trim(doc.allowed_headers),
        expose_headers: trim(doc.expose_headers),
        max_age_seconds: match doc.max_age_seconds {
            None => None,
            Some(s) => Some(
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| S3Error::malformed_xml())?,
            ),
        },
    };
    if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if rule
        .id
        .as_ref()
        .is_some_and(|id| id.chars().count() > MAX_RULE_ID_CHARS)
    {
        return Err(S3Error::invalid_argument(
            "ID length should not exceed allowed limit of 255",
        ));
    }
    for m in &rule.allowed_methods {
        if !CORS_METHODS.contains(&m.as_str()) {
            return Err(S3Error::invalid_request(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
    }
    for o in &rule.allowed_origins {
        if o.matches('*').count() > 1 {
            return Err(S3Error::invalid_request(format!(
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            )));
        }
    }
    for h in &rule.allowed_headers {
        if h.matches('*').count() > 1 {
            return Err(S3Error::invalid_request(format!(
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            )));
        }
    }
    for h in &rule.expose_headers {
        if h.contains('*') {
            return Err(S3Error::invalid_request(format!(
                "ExposeHeader \"{h}\" contains wildcard. We currently do not support wildcard for ExposeHeader."
            )));
        }
    }
    Ok(rule)
}

/// The GetBucketCors document.
pub fn cors_configuration_xml(rules: &[CorsRule]) -> String {
    let mut w = XmlWriter::new();
    w.open_root("CORSConfiguration");
    for r in rules {
        w.open("CORSRule");
        w.optional("ID", r.id.as_deref());
        for h in &r.allowed_headers {
            w.element("AllowedHeader", h);
        }
        for m in &r.allowed_methods {
            w.element("AllowedMethod", m);
        }
        for o in &r.allowed_origins {
            w.element("AllowedOrigin", o);
        }
        for h in &r.expose_headers {
            w.element("ExposeHeader", h);
        }
        if let Some(age) = r.max_age_seconds {
            w.element("MaxAgeSeconds", &age.to_string());
        }
        w.close("CORSRule");
    }
    w.close("CORSConfiguration");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_validation() {
        let body = br#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><ID>r1</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>"#;
        let rules = parse_cors_configuration(body).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].max_age_seconds, Some(3000));
        let again = parse_cors_configuration(cors_configuration_xml(&rules).as_bytes()).unwrap();
        assert_eq!(again, rules);
        let bad = |xml: &str| parse_cors_configuration(xml.as_bytes()).unwrap_err();
        assert_eq!(
            bad("<CORSConfiguration></CORSConfiguration>").code,
            "MalformedXML"
        );
        assert_eq!(bad("<CORSConfiguration><CORSRule>").code, "MalformedXML");
        assert_eq!(
            bad("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>").code,
            "MalformedXML"
        );
        let e = bad("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>");
        assert_eq!(
            e.message,
            "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"
        );
        let e = bad("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>x</MaxAgeSeconds></CORSRule></CORSConfiguration>");
        assert_eq!(e.code, "MalformedXML");
    }
}
