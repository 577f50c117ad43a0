//! `DeleteResult` for DeleteObjects.

use crate::xml_writer::XmlWriter;

/// One failed key in a DeleteObjects answer.
#[derive(Debug, Clone)]
pub struct DeleteError {
    /// The key.
    pub key: String,
    /// AWS error code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// The DeleteObjects answer.
#[derive(Debug, Clone, Default)]
pub struct DeleteResult {
    /// Keys deleted (omitted from the document in quiet mode).
    pub deleted: Vec<String>,
    /// Keys that failed.
    pub errors: Vec<DeleteError>,
    /// Quiet mode: only errors are listed.
    pub quiet: bool,
}

impl DeleteResult {
    /// Renders the document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("DeleteResult");
        if !self.quiet {
            for k in &self.deleted {
                w.open("Deleted");
                w.element("Key", k);
                w.close("Deleted");
            }
        }
        for e in &self.errors {
            w.open("Error");
            w.element("Key", &e.key);
            w.element("Code", &e.code);
            w.element("Message", &e.message);
            w.close("Error");
        }
        w.close("DeleteResult");
        w.finish()
    }
}
