//! The `GetObjectAttributesResponse` document.

use crate::xml_writer::XmlWriter;

/// One part in `ObjectParts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributesPart {
    /// Part number.
    pub part_number: u32,
    /// Size in bytes.
    pub size: u64,
    /// The part's checksums, (element name, base64 value).
    pub checksums: Vec<(&'static str, String)>,
}

/// The `ObjectParts` element: a page of a multipart object's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPartsPage {
    /// Number of parts of the object (`PartsCount`).
    pub parts_count: usize,
    /// `PartNumberMarker` as asked (0 when not).
    pub part_number_marker: u32,
    /// `MaxParts` as applied.
    pub max_parts: usize,
    /// Whether parts remain after this page.
    pub is_truncated: bool,
    /// The last part number of this page, when truncated.
    pub next_part_number_marker: Option<u32>,
    /// The page's parts (listed only for objects uploaded with checksums, as AWS does).
    pub parts: Vec<AttributesPart>,
}

/// What GetObjectAttributes answers; `None` fields were not asked for (or do not apply).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectAttributes {
    /// `ETag`, without quotes.
    pub etag: Option<String>,
    /// `Checksum`: (element name, value) and `ChecksumType`.
    pub checksum: Option<((&'static str, String), &'static str)>,
    /// `ObjectParts` (multipart objects only).
    pub parts: Option<ObjectPartsPage>,
    /// `StorageClass`.
    pub storage_class: Option<&'static str>,
    /// `ObjectSize`.
    pub object_size: Option<u64>,
}

impl ObjectAttributes {
    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("GetObjectAttributesResponse");
        w.optional("ETag", self.etag.as_deref());
        if let Some(((element, value), kind)) = &self.checksum {
            w.open("Checksum");
            w.element(element, value);
            w.element("ChecksumType", kind);
            w.close("Checksum");
        }
        if let Some(p) = &self.parts {
            w.open("ObjectParts");
            w.element("IsTruncated", if p.is_truncated { "true" } else { "false" });
            w.element("MaxParts", &p.max_parts.to_string());
            if let Some(next) = p.next_part_number_marker {
                w.element("NextPartNumberMarker", &next.to_string());
            }
            w.element("PartNumberMarker", &p.part_number_marker.to_string());
            for part in &p.parts {
                w.open("Part");
                for (element, value) in &part.checksums {
                    w.element(element, value);
                }
                w.element("PartNumber", &part.part_number.to_string());
                w.element("Size", &part.size.to_string());
                w.close("Part");
            }
            w.element("PartsCount", &p.parts_count.to_string());
            w.close("ObjectParts");
        }
        w.optional("StorageClass", self.storage_class);
        if let Some(size) = self.object_size {
            w.element("ObjectSize", &size.to_string());
        }
        w.close("GetObjectAttributesResponse");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_what_was_asked() {
        let doc = ObjectAttributes {
            object_size: Some(3),
            ..Default::default()
        }
        .to_xml();
        assert!(doc.contains("<ObjectSize>3</ObjectSize>"), "{doc}");
        assert!(!doc.contains("ETag"), "{doc}");
    }
}
