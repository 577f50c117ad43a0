//! ListBuckets pagination (the 2024 API: `max-buckets`, `continuation-token`, `prefix`, `bucket-region`),
//! driven with the AWS SDK's own paginator and with raw requests for the error cases.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata;
use common::TestServer;

async fn server_with_buckets(names: &[&str]) -> TestServer {
    let ts = TestServer::start().await;
    for name in names {
        ts.create_bucket(name).await;
    }
    ts
}

fn names(out: &aws_sdk_s3::operation::list_buckets::ListBucketsOutput) -> Vec<String> {
    out.buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_buckets_pages_with_max_buckets_and_continuation_token() {
    let all = ["alpha", "beta-1", "beta-2", "beta-3", "gamma"];
    let ts = server_with_buckets(&all).await;
    let s3 = ts.sdk();

    // Without parameters: every bucket, no token.
    let out = s3.list_buckets().send().await.unwrap();
    assert_eq!(names(&out), all);
    assert_eq!(out.continuation_token(), None);

    // Two at a time, by hand.
    let first = s3.list_buckets().max_buckets(2).send().await.unwrap();
    assert_eq!(names(&first), ["alpha", "beta-1"]);
    let token = first
        .continuation_token()
        .expect("a token while more remain");
    let second = s3
        .list_buckets()
        .max_buckets(2)
        .continuation_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&second), ["beta-2", "beta-3"]);
    let third = s3
        .list_buckets()
        .max_buckets(2)
        .continuation_token(second.continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(&third), ["gamma"]);
    assert_eq!(third.continuation_token(), None);

    // The SDK's paginator walks the same pages.
    let mut seen = Vec::new();
    let mut pages = s3.list_buckets().max_buckets(1).into_paginator().send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        seen.extend(names(&page.unwrap()));
        count += 1;
    }
    assert_eq!(seen, all);
    assert_eq!(count, 5);

    // A prefix narrows the list and is echoed; pages within a prefix.
    let out = s3
        .list_buckets()
        .prefix("beta")
        .max_buckets(2)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&out), ["beta-1", "beta-2"]);
    assert_eq!(out.prefix(), Some("beta"));
    let rest = s3
        .list_buckets()
        .prefix("beta")
        .max_buckets(2)
        .continuation_token(out.continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["beta-3"]);
    assert_eq!(rest.continuation_token(), None);

    // Each bucket names its region; another region has none of them.
    let out = s3
        .list_buckets()
        .bucket_region("us-east-1")
        .send()
        .await
        .unwrap();
    assert_eq!(out.buckets()[0].bucket_region(), Some("us-east-1"));
    assert_eq!(names(&out).len(), 5);
    let out = s3
        .list_buckets()
        .bucket_region("eu-west-3")
        .send()
        .await
        .unwrap();
    assert!(names(&out).is_empty());
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_buckets_refuses_bad_max_buckets_and_tokens() {
    let ts = server_with_buckets(&["one", "two"]).await;
    let s3 = ts.sdk();
    for bad in [0, -1, 10_001] {
        let err = s3
            .list_buckets()
            .max_buckets(bad)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(err.code(), Some("InvalidArgument"), "max-buckets={bad}");
    }
    let out = s3.list_buckets().max_buckets(10_000).send().await.unwrap();
    assert_eq!(names(&out), ["one", "two"]);
    let err = s3
        .list_buckets()
        .continuation_token("not a token!")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidArgument"));
    ts.stop().await;
}
