//! GetObjectAttributes (issue 26) with the AWS SDK for Rust: ETag, Checksum, ObjectParts with
//! paging, StorageClass, ObjectSize, and its errors.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart, ObjectAttributes,
    StorageClass,
};
use common::{raw_request, TestServer};

const BUCKET: &str = "attrs";
const PART: usize = 5 * 1024 * 1024;

fn all() -> Vec<ObjectAttributes> {
    vec![
        ObjectAttributes::Etag,
        ObjectAttributes::Checksum,
        ObjectAttributes::ObjectParts,
        ObjectAttributes::StorageClass,
        ObjectAttributes::ObjectSize,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_part_object_attributes() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("small")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object_attributes()
        .bucket(BUCKET)
        .key("small")
        .set_object_attributes(Some(all()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        Some(format!("\"{}\"", got.e_tag().unwrap()).as_str()),
        put.e_tag()
    );
    assert_eq!(got.object_size(), Some(5));
    assert_eq!(got.storage_class(), Some(&StorageClass::Standard));
    let checksum = got.checksum().unwrap();
    assert_eq!(checksum.checksum_sha256(), put.checksum_sha256());
    assert_eq!(checksum.checksum_type(), Some(&ChecksumType::FullObject));
    assert!(got.object_parts().is_none(), "not a multipart object");
    assert!(got.last_modified().is_some());

    // Only what was asked.
    let got = s3
        .get_object_attributes()
        .bucket(BUCKET)
        .key("small")
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap();
    assert_eq!(got.object_size(), Some(5));
    assert!(got.e_tag().is_none() && got.checksum().is_none());

    // Errors.
    let err = s3
        .get_object_attributes()
        .bucket(BUCKET)
        .key("missing")
        .object_attributes(ObjectAttributes::Etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchKey"));
    let err = s3
        .get_object_attributes()
        .bucket(BUCKET)
        .key("small")
        .object_attributes(ObjectAttributes::from("Colour"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("InvalidArgument"));
    let url = ts.presign_full(
        "GET",
        BUCKET,
        "small",
        60,
        &[],
        &[("attributes".to_string(), String::new())],
        time::OffsetDateTime::now_utc(),
    );
    let r = raw_request(ts.addr, "GET", common::target_of(&url), &[], b"").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        common::xml_field(&r.text(), "Code").as_deref(),
        Some("InvalidRequest")
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_object_parts_page() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut completed = Vec::new();
    let mut part_checksums = Vec::new();
    for n in 1..=3 {
        let size = if n == 3 { 10 } else { PART };
        let r = s3
            .upload_part()
            .bucket(BUCKET)
            .key("big")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(vec![n as u8; size]))
            .send()
            .await
            .unwrap();
        part_checksums.push(r.checksum_crc32().unwrap().to_string());
        completed.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .checksum_crc32(r.checksum_crc32().unwrap())
                .build(),
        );
    }
    let done = s3
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let page = |marker: Option<&str>| {
        s3.get_object_attributes()
            .bucket(BUCKET)
            .key("big")
            .set_object_attributes(Some(all()))
            .max_parts(2)
            .set_part_number_marker(marker.map(str::to_string))
            .send()
    };
    let first = page(None).await.unwrap();
    assert_eq!(first.object_size(), Some((2 * PART + 10) as i64));
    let checksum = first.checksum().unwrap();
    assert_eq!(checksum.checksum_crc32(), done.checksum_crc32());
    assert_eq!(checksum.checksum_type(), Some(&ChecksumType::Composite));
    let parts = first.object_parts().unwrap();
    assert_eq!(parts.total_parts_count(), Some(3));
    assert_eq!(parts.is_truncated(), Some(true));
    assert_eq!(parts.max_parts(), Some(2));
    assert_eq!(parts.next_part_number_marker(), Some("2"));
    let listed: Vec<(Option<i32>, Option<i64>, Option<&str>)> = parts
        .parts()
        .iter()
        .map(|p| (p.part_number(), p.size(), p.checksum_crc32()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (Some(1), Some(PART as i64), Some(part_checksums[0].as_str())),
            (Some(2), Some(PART as i64), Some(part_checksums[1].as_str())),
        ]
    );
    let second = page(Some("2")).await.unwrap();
    let parts = second.object_parts().unwrap();
    assert_eq!(parts.is_truncated(), Some(false));
    assert_eq!(parts.part_number_marker(), Some("2"));
    assert_eq!(parts.parts().len(), 1);
    assert_eq!(parts.parts()[0].part_number(), Some(3));
    assert_eq!(parts.parts()[0].size(), Some(10));
    ts.stop().await;
}
