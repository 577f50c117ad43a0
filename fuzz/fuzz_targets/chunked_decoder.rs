//! The aws-chunked decoder, signed (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`) and
//! unsigned (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`), fed arbitrary bytes split at
//! arbitrary points. Input: byte 0 = flags (bit 0 signed, bit 1 trailer when signed,
//! bit 2 declared decoded length), byte 1 = number of split points (mod 8), that many
//! bytes of piece lengths, with bit 2 two bytes of big-endian declared length, then the
//! body. The decoder fed in pieces must agree with the decoder fed the whole body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_fuzz::{AKID, CHUNK_SEED_SIGNATURE, NOW, REGION, SECRET};
use sluice_sigv4::{
    credential_scope, derive_signing_key, format_amz_date, format_date_stamp, AuthError,
    ChunkSigningContext, ChunkedDecoder,
};

fn decoder(flags: u8, declared: Option<u64>) -> ChunkedDecoder {
    let d = if flags & 1 == 1 {
        let date = format_date_stamp(NOW);
        ChunkedDecoder::signed(
            ChunkSigningContext {
                access_key_id: AKID.to_owned(),
                signing_key: derive_signing_key(SECRET, &date, REGION, "s3"),
                amz_date: format_amz_date(NOW),
                scope: credential_scope(&date, REGION, "s3"),
                seed_signature: CHUNK_SEED_SIGNATURE.to_owned(),
            },
            flags & 2 == 2,
        )
    } else {
        ChunkedDecoder::unsigned_with_trailer()
    };
    match declared {
        Some(len) => d.with_decoded_length(len),
        None => d,
    }
}

type Outcome = (Vec<u8>, Result<Vec<(String, String)>, AuthError>);

fn run(mut d: ChunkedDecoder, pieces: &[&[u8]]) -> Outcome {
    let mut out = Vec::new();
    for piece in pieces {
        if let Err(err) = d.feed(piece, &mut out) {
            // Stays failed.
            assert!(d.feed(b"0\r\n\r\n", &mut out).is_err());
            assert!(!d.is_complete());
            return (out, Err(err));
        }
    }
    let result = d.finish();
    if result.is_ok() {
        assert!(d.is_complete());
        if let Some(len) = d.expected_decoded_length() {
            assert_eq!(len, d.decoded_len());
        }
    }
    assert_eq!(d.decoded_len(), out.len() as u64);
    (out, result)
}

fuzz_target!(|data: &[u8]| {
    let [flags, splits, rest @ ..] = data else {
        return;
    };
    let splits = usize::from(splits % 8);
    if rest.len() < splits {
        return;
    }
    let (lens, rest) = rest.split_at(splits);
    let (declared, body) = if flags & 4 == 4 {
        let [hi, lo, body @ ..] = rest else {
            return;
        };
        (Some(u64::from(u16::from_be_bytes([*hi, *lo]))), body)
    } else {
        (None, rest)
    };

    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut remaining = body;
    for &len in lens {
        let n = usize::from(len).min(remaining.len());
        let (piece, tail) = remaining.split_at(n);
        pieces.push(piece);
        remaining = tail;
    }
    pieces.push(remaining);

    let (whole_out, whole) = run(decoder(*flags, declared), &[body]);
    let (split_out, split) = run(decoder(*flags, declared), &pieces);
    match (&whole, &split) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "trailers differ");
            assert_eq!(whole_out, split_out, "decoded bytes differ");
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        _ => panic!("whole: {whole:?}, split: {split:?}"),
    }
});
