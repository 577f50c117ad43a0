//! Small bucket configuration documents.

use crate::xml_writer::{escape_into, XmlWriter, S3_NAMESPACE};

/// `GetBucketLocation` answer: empty for us-east-1, as AWS answers.
pub fn location_constraint_xml(region: &str) -> String {
    let mut doc = XmlWriter::new().finish();
    let value = if region == "us-east-1" { "" } else { region };
    doc.push_str("<LocationConstraint xmlns=\"");
    doc.push_str(S3_NAMESPACE);
    doc.push_str("\">");
    escape_into(&mut doc, value);
    doc.push_str("</LocationConstraint>");
    doc
}

/// `GetBucketVersioning` answer for a bucket never versioned: an empty configuration.
pub fn versioning_configuration_xml() -> String {
    let mut w = XmlWriter::new();
    w.open_root("VersioningConfiguration");
    w.close("VersioningConfiguration");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location() {
        assert!(location_constraint_xml("us-east-1").ends_with("\"></LocationConstraint>"));
        assert!(location_constraint_xml("eu-west-1").contains(">eu-west-1</LocationConstraint>"));
    }
}
