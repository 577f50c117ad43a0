//! Conditional writes (`If-None-Match: *`, `If-Match`) on PutObject and
//! CompleteMultipartUpload, raced by concurrent clients against a real server: the store
//! decides the precondition atomically with the write, so exactly one racer wins.

mod common;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::TestServer;
use std::time::Duration;

/// Concurrent writers per race.
const RACERS: usize = 20;
/// Races per test (bounded; each one a fresh key).
const ROUNDS: usize = 4;

fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(b))
}

/// A body unique to writer `i` of round `round`, `size` bytes long: rounds alternate between
/// small bodies (stored inline in the metadata database) and larger ones (blob files).
fn body_of(round: usize, i: usize) -> Vec<u8> {
    let size = if round.is_multiple_of(2) {
        1024
    } else {
        100 * 1024
    };
    format!("round {round} writer {i};")
        .into_bytes()
        .into_iter()
        .cycle()
        .take(size)
        .collect()
}

/// What one racer got: 200, or the error status and code.
#[derive(Debug)]
enum Outcome {
    Won,
    Lost(u16, String),
}

fn outcome<T, E: ProvideErrorMetadata>(r: Result<T, SdkError<E, HttpResponse>>) -> Outcome {
    match r {
        Ok(_) => Outcome::Won,
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            Outcome::Lost(status, e.code().unwrap_or("<none>").to_string())
        }
    }
}

/// Exactly one winner; every other racer got 412 PreconditionFailed. Returns the winner.
fn one_winner(round: usize, what: &str, outcomes: &[Outcome]) -> usize {
    let winners: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o, Outcome::Won))
        .map(|(i, _)| i)
        .collect();
    for o in outcomes {
        if let Outcome::Lost(status, code) = o {
            assert_eq!(
                (*status, code.as_str()),
                (412, "PreconditionFailed"),
                "{what} round {round}: {outcomes:?}"
            );
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "{what} round {round}: exactly one 200 and {} 412s, got {outcomes:?}",
        outcomes.len() - 1
    );
    winners[0]
}

async fn get_bytes(s3: &aws_sdk_s3::Client, key: &str) -> Vec<u8> {
    let got = s3
        .get_object()
        .bucket("cond")
        .key(key)
        .send()
        .await
        .unwrap();
    got.body.collect().await.unwrap().into_bytes().to_vec()
}

/// Waits (bounded) until the data dir holds `want` committed blobs: freeing the losers'
/// blobs and the replaced objects' is not part of the answer.
async fn settle_blobs(ts: &TestServer, want: usize) {
    let mut have = 0;
    for _ in 0..100 {
        have = common::stored_blobs(ts.dir.path());
        if have == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{have} blobs stored, want {want}: a loser's blob was left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_conditional_puts_of_one_key_let_exactly_one_through() {
    let ts = TestServer::start_with_bucket("cond").await;
    let s3 = ts.sdk();
    for round in 0..ROUNDS {
        let key = format!("race-{round}");
        // If-None-Match: * from twenty writers at once.
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let s3 = s3.clone();
                let key = key.clone();
                tokio::spawn(async move {
                    let r = s3
                        .put_object()
                        .bucket("cond")
                        .key(key)
                        .if_none_match("*")
                        .body(ByteStream::from(body_of(round, i)))
                        .send()
                        .await;
                    outcome(r)
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let winner = one_winner(round, "If-None-Match", &outcomes);
        let stored = get_bytes(&s3, &key).await;
        assert!(stored == body_of(round, winner), "the winner's bytes");
        settle_blobs(&ts, round + 1).await;

        // If-Match with the current ETag from twenty writers at once.
        let etag = format!("\"{}\"", md5_hex(&stored));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let s3 = s3.clone();
                let key = key.clone();
                let etag = etag.clone();
                tokio::spawn(async move {
                    let r = s3
                        .put_object()
                        .bucket("cond")
                        .key(key)
                        .if_match(etag)
                        .body(ByteStream::from(body_of(round + 1, 100 + i)))
                        .send()
                        .await;
                    outcome(r)
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let winner = one_winner(round, "If-Match", &outcomes);
        assert!(get_bytes(&s3, &key).await == body_of(round + 1, 100 + winner));
        settle_blobs(&ts, round + 1).await;
    }

    // If-Match without an object: 404 NoSuchKey, as S3 answers.
    let r = s3
        .put_object()
        .bucket("cond")
        .key("absent")
        .if_match("\"0123\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    match outcome(r) {
        Outcome::Lost(404, code) => assert_eq!(code, "NoSuchKey"),
        other => panic!("{other:?}"),
    }
    settle_blobs(&ts, ROUNDS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_conditional_completions_of_one_key_let_exactly_one_through() {
    let ts = TestServer::start_with_bucket("cond").await;
    let s3 = ts.sdk();
    const UPLOADS: usize = 8;
    for round in 0..ROUNDS {
        let key = format!("mpu-{round}");
        let mut uploads = Vec::new();
        for i in 0..UPLOADS {
            let id = s3
                .create_multipart_upload()
                .bucket("cond")
                .key(&key)
                .send()
                .await
                .unwrap()
                .upload_id
                .unwrap();
            let part = s3
                .upload_part()
                .bucket("cond")
                .key(&key)
                .upload_id(&id)
                .part_number(1)
                .body(ByteStream::from(body_of(round, i)))
                .send()
                .await
                .unwrap();
            uploads.push((id, part.e_tag.unwrap()));
        }
        let tasks: Vec<_> = uploads
            .iter()
            .cloned()
            .map(|(id, etag)| {
                let s3 = s3.clone();
                let key = key.clone();
                tokio::spawn(async move {
                    let parts = CompletedMultipartUpload::builder()
                        .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
                        .build();
                    let r = s3
                        .complete_multipart_upload()
                        .bucket("cond")
                        .key(key)
                        .upload_id(id)
                        .if_none_match("*")
                        .multipart_upload(parts)
                        .send()
                        .await;
                    outcome(r)
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let winner = one_winner(round, "CompleteMultipartUpload If-None-Match", &outcomes);
        assert!(get_bytes(&s3, &key).await == body_of(round, winner));
        // The losers' uploads stay open with their parts (nothing changed); abort them.
        for (i, (id, _)) in uploads.iter().enumerate() {
            let listed = s3
                .list_parts()
                .bucket("cond")
                .key(&key)
                .upload_id(id)
                .send()
                .await;
            assert_eq!(listed.is_ok(), i != winner, "upload {i} open iff it lost");
            if i != winner {
                s3.abort_multipart_upload()
                    .bucket("cond")
                    .key(&key)
                    .upload_id(id)
                    .send()
                    .await
                    .unwrap();
            }
        }
        settle_blobs(&ts, round + 1).await;
    }
}
