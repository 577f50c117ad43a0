//! `PostResponse`: the answer to a form upload with `success_action_status=201`.

use crate::xml_writer::XmlWriter;

/// The `PostResponse` document (AWS writes it without a namespace).
pub fn post_response_xml(location: &str, bucket: &str, key: &str, etag: &str) -> String {
    let mut w = XmlWriter::new();
    w.open("PostResponse");
    w.element("Location", location);
    w.element("Bucket", bucket);
    w.element("Key", key);
    w.element("ETag", etag);
    w.close("PostResponse");
    w.finish()
}
