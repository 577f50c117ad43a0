//! Time to render a full ListObjectsV2 page (1,000 keys) and to parse a
//! CompleteMultipartUpload body (1,000 parts).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sluice_s3::xml::parse_complete_request;
use sluice_s3::xml::{ListObjectsPage, ListStyle, ObjectEntry};
use std::time::Duration;

fn page() -> ListObjectsPage {
    ListObjectsPage {
        bucket: "photos".into(),
        prefix: "2026/".into(),
        delimiter: None,
        max_keys: 1000,
        is_truncated: true,
        url_encode: true,
        objects: (0..1000)
            .map(|i| ObjectEntry {
                key: format!("2026/11/holiday pictures/IMG_{i:05}.jpg"),
                last_modified_ms: 1_795_000_000_000 + i,
                etag: format!("{:032x}", i * 7919),
                size: 3_000_000 + i as u64,
                checksum_algorithm: Some("CRC32"),
            })
            .collect(),
        common_prefixes: Vec::new(),
        owner: ("owner-id".into(), "owner".into()),
        style: ListStyle::V2 {
            continuation_token: Some("token".into()),
            next_continuation_token: Some("next".into()),
            start_after: None,
            fetch_owner: false,
        },
    }
}

fn complete_body() -> Vec<u8> {
    let mut xml = String::from("<CompleteMultipartUpload>");
    for n in 1..=1000 {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"{:032x}\"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>",
            n * 31
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    xml.into_bytes()
}

fn bench(c: &mut Criterion) {
    let page = page();
    c.bench_function("list_objects_v2_page_1000_keys_to_xml", |b| {
        b.iter(|| black_box(&page).to_xml())
    });
    let body = complete_body();
    c.bench_function("parse_complete_multipart_1000_parts", |b| {
        b.iter(|| parse_complete_request(black_box(&body)).expect("parses"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
