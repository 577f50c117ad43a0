//! A request body read into a small element tree, text taken exactly as sent.
//!
//! quick-xml's serde deserializer trims leading and trailing whitespace from every text node
//! and offers no way to turn that off, so `<Key> </Key>` came out as an empty key and
//! DeleteObjects deleted the wrong object (or none). This reader keeps every character of an
//! element's text: entities and character references (`&#10;`, `&#xA;`) are decoded, CDATA is
//! taken verbatim, nothing is trimmed. Callers that want a trimmed value (numbers, booleans)
//! trim it themselves.

use crate::S3Error;
use quick_xml::events::Event;

/// Deepest nesting accepted (S3 request documents are at most four levels deep).
const MAX_DEPTH: usize = 32;

/// One element: its local name (namespace prefix dropped), its text and its child elements.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// Local name.
    pub name: String,
    /// Concatenated text and CDATA directly inside the element, exactly as sent.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// Children named `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child named `name`, exactly as sent.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.text.as_str())
    }
}

/// Parses `text` as one XML document whose root element is `root`; anything else (malformed
/// XML, a DTD, a second root, text outside the root, another root name) is `MalformedXML`.
///
/// Documents with a DTD (`<!DOCTYPE ...>`) are refused: S3 bodies never carry one and a DTD may
/// declare entities.
pub(crate) fn parse_document(text: &str, root: &str) -> Result<Element, S3Error> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut done: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|_| S3Error::malformed_xml())?;
        match event {
            Event::Eof => break,
            Event::DocType(_) => return Err(S3Error::malformed_xml()),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Start(e) => {
                if done.is_some() || stack.len() >= MAX_DEPTH {
                    return Err(S3Error::malformed_xml());
                }
                stack.push(Element {
                    name: local_name(e.local_name().as_ref())?,
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                let el = Element {
                    name: local_name(e.local_name().as_ref())?,
                    ..Element::default()
                };
                attach(&mut stack, &mut done, el)?;
            }
            Event::End(_) => {
                // The reader checks that end names match their start tags.
                let el = stack.pop().ok_or_else(S3Error::malformed_xml)?;
                attach(&mut stack, &mut done, el)?;
            }
            Event::Text(t) => {
                let raw = std::str::from_utf8(&t).map_err(|_| S3Error::malformed_xml())?;
                let raw = normalize_line_ends(raw);
                let s = quick_xml::escape::unescape(&raw).map_err(|_| S3Error::malformed_xml())?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(S3Error::malformed_xml()),
                }
            }
            Event::CData(c) => {
                let raw = c.into_inner();
                let s = std::str::from_utf8(&raw).map_err(|_| S3Error::malformed_xml())?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&normalize_line_ends(s)),
                    None => return Err(S3Error::malformed_xml()),
                }
            }
        }
    }
    match done {
        Some(el) if stack.is_empty() && el.name == root => Ok(el),
        _ => Err(S3Error::malformed_xml()),
    }
}

/// XML 1.0 section 2.11: a literal CR LF or lone CR in the document is read as LF (a CR
/// meant as part of a key is sent as `&#13;` / `&#xD;`, which is decoded after this).
fn normalize_line_ends(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('\r') {
        std::borrow::Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

fn local_name(raw: &[u8]) -> Result<String, S3Error> {
    std::str::from_utf8(raw)
        .map(str::to_owned)
        .map_err(|_| S3Error::malformed_xml())
}

fn attach(stack: &mut [Element], done: &mut Option<Element>, el: Element) -> Result<(), S3Error> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None if done.is_none() => *done = Some(el),
        None => return Err(S3Error::malformed_xml()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_kept_exactly() {
        let doc = parse_document(
            "<?xml version=\"1.0\"?>\n<a xmlns=\"x\">\n  <k> </k><k>\t_ </k><k>&#10;&#xA;\n</k><k><![CDATA[ <&> ]]></k><k/>\n</a>\n",
            "a",
        )
        .unwrap();
        let texts: Vec<&str> = doc.all("k").map(|k| k.text.as_str()).collect();
        assert_eq!(texts, [" ", "\t_ ", "\n\n\n", " <&> ", ""]);
        // Literal line ends are normalized to LF as XML requires; escaped CRs are kept.
        let doc = parse_document("<a><k>x\r\ny\rz</k><k>&#13;&#xD;\n</k></a>", "a").unwrap();
        let texts: Vec<&str> = doc.all("k").map(|k| k.text.as_str()).collect();
        assert_eq!(texts, ["x\ny\nz", "\r\r\n"]);
    }

    #[test]
    fn malformed_documents() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><a/>",
            "x<a/>",
            "<b/>",
            "<a>&bogus;</a>",
            "<!DOCTYPE a><a/>",
        ] {
            assert_eq!(
                parse_document(bad, "a").unwrap_err().code,
                "MalformedXML",
                "{bad}"
            );
        }
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse_document(&deep, "a").is_err());
    }
}
