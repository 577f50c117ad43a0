//! Property tests of the aws-chunked decoder: split invariance, tamper detection,
//! and no panic on arbitrary input.

use proptest::prelude::*;
use sluice_sigv4::{
    derive_signing_key, frame_unsigned_chunk, frame_unsigned_final, ChunkSigningContext,
    ChunkedDecoder, ChunkedSigner,
};
use time::macros::datetime;

const SECRET: &str = "chunk-secret";
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

fn context() -> ChunkSigningContext {
    ChunkSigningContext {
        access_key_id: "AKID".to_owned(),
        signing_key: derive_signing_key(SECRET, "20130524", "us-east-1", "s3"),
        amz_date: "20130524T000000Z".to_owned(),
        scope: "20130524/us-east-1/s3/aws4_request".to_owned(),
        seed_signature: SEED.to_owned(),
    }
}

fn signer() -> ChunkedSigner {
    ChunkedSigner::new(
        SECRET,
        datetime!(2013-05-24 0:00 UTC),
        "us-east-1",
        "s3",
        SEED,
    )
}

fn trailers_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        ("x-amz-checksum-[a-z0-9]{1,8}", "[A-Za-z0-9+/=]{0,12}"),
        0..3,
    )
}

/// Encodes `data` in chunks of `chunk_size` with the given framing.
fn encode(data: &[u8], chunk_size: usize, mode: u8, trailers: &[(String, String)]) -> Vec<u8> {
    let mut body = Vec::new();
    match mode {
        0 | 1 => {
            let mut s = signer();
            for chunk in data.chunks(chunk_size) {
                body.extend(s.frame_chunk(chunk));
            }
            if mode == 0 {
                body.extend(s.frame_final());
            } else {
                body.extend(s.frame_final_with_trailers(trailers));
            }
        }
        _ => {
            for chunk in data.chunks(chunk_size) {
                body.extend(frame_unsigned_chunk(chunk));
            }
            body.extend(frame_unsigned_final(trailers));
        }
    }
    body
}

fn decoder(mode: u8, len: u64) -> ChunkedDecoder {
    match mode {
        0 => ChunkedDecoder::signed(context(), false),
        1 => ChunkedDecoder::signed(context(), true),
        _ => ChunkedDecoder::unsigned_with_trailer(),
    }
    .with_decoded_length(len)
}

/// Decoded payload and trailers.
type Decoded = (Vec<u8>, Vec<(String, String)>);

/// Feeds `body` split at the given cut points; returns output and trailers.
fn run(
    mut d: ChunkedDecoder,
    body: &[u8],
    cuts: &[usize],
) -> Result<Decoded, sluice_sigv4::AuthError> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        d.feed(&body[start..p], &mut out)?;
        start = p;
    }
    d.feed(&body[start..], &mut out)?;
    let trailers = d.finish()?;
    assert!(d.decoded_len() == out.len() as u64);
    Ok((out, trailers))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_split_gives_the_same_output(
        data in prop::collection::vec(any::<u8>(), 0..3000),
        chunk_size in 1usize..700,
        mode in 0u8..3,
        trailers in trailers_strategy(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let trailers = if mode == 0 { Vec::new() } else { trailers };
        let body = encode(&data, chunk_size, mode, &trailers);
        let (out, got_trailers) = run(decoder(mode, data.len() as u64), &body, &cuts).unwrap();
        prop_assert_eq!(&out, &data);
        prop_assert_eq!(&got_trailers, &trailers);
    }

    #[test]
    fn byte_at_a_time(data in prop::collection::vec(any::<u8>(), 0..300), chunk_size in 1usize..64, mode in 0u8..3) {
        let body = encode(&data, chunk_size, mode, &[("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]);
        let mut d = decoder(mode, data.len() as u64);
        let mut out = Vec::new();
        for byte in &body {
            d.feed(std::slice::from_ref(byte), &mut out).unwrap();
        }
        prop_assert!(d.is_complete());
        d.finish().unwrap();
        prop_assert_eq!(out, data);
    }

    #[test]
    fn any_flipped_byte_of_a_signed_body_is_rejected(
        data in prop::collection::vec(any::<u8>(), 1..1500),
        chunk_size in 1usize..500,
        with_trailer in any::<bool>(),
        position in any::<usize>(),
        flip in 1u8..=255,
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mode = u8::from(with_trailer);
        let trailers = if with_trailer { vec![("x-amz-checksum-sha256".to_owned(), "abc=".to_owned())] } else { Vec::new() };
        let mut body = encode(&data, chunk_size, mode, &trailers);
        let position = position % body.len();
        body[position] ^= flip;
        // Without the declared length the chain of signatures alone must catch it.
        let d = match mode { 0 => ChunkedDecoder::signed(context(), false), _ => ChunkedDecoder::signed(context(), true) };
        // Either rejected, or the flip was semantically void (the case of a hex chunk
        // size or of a trailer name): tampering never yields different accepted content.
        if let Ok((out, got_trailers)) = run(d, &body, &cuts) {
            prop_assert_eq!(out, data, "flip at {} of {}", position, body.len());
            prop_assert_eq!(got_trailers, trailers);
            prop_assert_eq!(flip, 0x20);
        }
    }

    #[test]
    fn truncated_bodies_are_incomplete(
        data in prop::collection::vec(any::<u8>(), 0..500),
        chunk_size in 1usize..200,
        mode in 0u8..3,
        cut in any::<usize>(),
    ) {
        let body = encode(&data, chunk_size, mode, &[]);
        let cut = cut % body.len().max(1);
        let result = run(decoder(mode, data.len() as u64), &body[..cut], &[]);
        prop_assert!(result.is_err());
    }

    #[test]
    fn random_bytes_never_panic(
        prefix in prop_oneof![Just(Vec::new()), Just(b"10;chunk-signature=".to_vec()), Just(b"0\r\n".to_vec()), Just(b"ffffffffffffffff\r\n".to_vec())],
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        mode in 0u8..3,
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut body = prefix;
        body.extend(bytes);
        let _ = run(decoder(mode, 100), &body, &cuts);
        let d = match mode { 0 => ChunkedDecoder::signed(context(), false), 1 => ChunkedDecoder::signed(context(), true), _ => ChunkedDecoder::unsigned_with_trailer() };
        let _ = run(d, &body, &cuts);
    }
}

#[test]
fn case_of_hex_size_and_trailer_names_is_irrelevant() {
    let trailers = vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())];
    let body = String::from_utf8(encode(&[7u8; 500], 500, 1, &trailers)).unwrap();
    let body = body.replacen("1f4;", "1F4;", 1).replacen(
        "x-amz-checksum-crc32c:",
        "X-Amz-Checksum-CRC32C:",
        1,
    );
    let (out, got) = run(
        ChunkedDecoder::signed(context(), true),
        body.as_bytes(),
        &[],
    )
    .unwrap();
    assert_eq!(out, vec![7u8; 500]);
    assert_eq!(got, trailers);
}

#[test]
fn wrong_seed_is_rejected() {
    let body = encode(b"hello", 5, 0, &[]);
    let mut ctx = context();
    ctx.seed_signature = "0".repeat(64);
    let err = run(ChunkedDecoder::signed(ctx, false), &body, &[]).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

#[test]
fn reordered_chunks_are_rejected() {
    let mut s = signer();
    let first = s.frame_chunk(b"first");
    let second = s.frame_chunk(b"other");
    let mut body = second;
    body.extend(first);
    body.extend(s.frame_final());
    assert!(run(ChunkedDecoder::signed(context(), false), &body, &[]).is_err());
}

#[test]
fn signed_trailer_required_and_checked() {
    let trailers = vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())];
    let good = encode(b"data", 4, 1, &trailers);
    assert!(run(ChunkedDecoder::signed(context(), true), &good, &[]).is_ok());
    // trailer value changed
    let text = String::from_utf8(good.clone())
        .unwrap()
        .replace("sOO8/Q==", "AAAAAA==");
    let err = run(
        ChunkedDecoder::signed(context(), true),
        text.as_bytes(),
        &[],
    )
    .unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    // trailer signature line removed
    let text = String::from_utf8(good.clone()).unwrap();
    let start = text.find("x-amz-trailer-signature:").unwrap();
    let stripped = format!("{}\r\n", &text[..start]);
    let err = run(
        ChunkedDecoder::signed(context(), true),
        stripped.as_bytes(),
        &[],
    )
    .unwrap_err();
    assert_eq!(err.code(), "InvalidRequest");
    // trailers are refused when none were announced
    let err = run(ChunkedDecoder::signed(context(), false), &good, &[]).unwrap_err();
    assert_eq!(err.code(), "InvalidRequest");
}

#[test]
fn unsigned_chunks_refused_by_signed_decoder() {
    let body = encode(b"hello", 5, 2, &[]);
    assert!(run(ChunkedDecoder::signed(context(), true), &body, &[]).is_err());
}
