//! Reading console request bodies: `application/x-www-form-urlencoded` forms and small JSON
//! documents, bounded in size.

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

/// Largest form or JSON body the console reads.
pub const MAX_FORM_BODY: usize = 64 * 1024;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// Over [`MAX_FORM_BODY`] or the connection failed.
    #[error("the request body is too large or could not be read")]
    Unreadable,
}

/// Decodes `a=1&b=2` pairs (`+` is a space, percent escapes decoded, bad UTF-8 replaced).
pub fn parse_urlencoded(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// Reads the whole body (at most [`MAX_FORM_BODY`] bytes).
pub async fn read_body(body: Incoming) -> Result<bytes::Bytes, FormError> {
    Limited::new(body, MAX_FORM_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|_| FormError::Unreadable)
}

/// A decoded form.
#[derive(Debug, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Reads and decodes a form body.
    pub async fn read(body: Incoming) -> Result<Form, FormError> {
        let raw = read_body(body).await?;
        Ok(Form {
            pairs: parse_urlencoded(&raw),
        })
    }

    /// A field's value ("" when absent), first occurrence.
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A field's value trimmed, `None` when absent or blank.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let f = Form {
            pairs: parse_urlencoded(b"a=1+2&b=%3Cx%3E&a=3&c="),
        };
        assert_eq!(f.get("a"), "1 2");
        assert_eq!(f.get("b"), "<x>");
        assert_eq!(f.all("a"), vec!["1 2", "3"]);
        assert_eq!(f.non_empty("c"), None);
        assert_eq!(f.get("zz"), "");
    }
}
