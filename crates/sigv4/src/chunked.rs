//! Sans-IO decoder of `aws-chunked` request bodies.
//!
//! Supports `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (signed chunks),
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` (signed chunks and trailer) and
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (plain chunks, unsigned trailer).
//!
//! Wire format (signed): `hex-size;chunk-signature=sig\r\n<data>\r\n` ... then
//! `0;chunk-signature=sig\r\n`, optional trailer lines `name:value\r\n` (ending with
//! `x-amz-trailer-signature:sig\r\n` when signed) and a final `\r\n`.
//!
//! Chunk data is hashed incrementally and never buffered. Decoded bytes are
//! handed out as they arrive, so they are only authenticated once their chunk
//! has ended; callers must not commit anything before [`ChunkedDecoder::finish`]
//! returns `Ok`.

use std::fmt;
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::canonical::sign_string;
use crate::crypto::{ct_eq, sha256_hex, EMPTY_SHA256_HEX};
use crate::error::AuthError;

/// Longest accepted chunk-header or trailer line, CRLF excluded.
pub const MAX_LINE_LEN: usize = 4096;
/// Longest accepted trailer section.
pub const MAX_TRAILER_LEN: usize = 16 * 1024;

/// Algorithm line of a chunk string to sign.
pub(crate) const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";
/// Algorithm line of a trailer string to sign.
pub(crate) const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";
/// Name of the trailer line carrying the trailer signature.
pub(crate) const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

const INCOMPLETE: &str =
    "You did not provide the number of bytes specified by the Content-Length HTTP header";

/// What a signed aws-chunked body is verified against: the key and scope of the
/// request's seed signature.
#[derive(Clone)]
pub struct ChunkSigningContext {
    /// Access key id (echoed in `SignatureDoesNotMatch`).
    pub access_key_id: String,
    /// Derived signing key of the request.
    pub signing_key: [u8; 32],
    /// Request time, `yyyyMMddTHHmmssZ`.
    pub amz_date: String,
    /// Credential scope, `yyyyMMdd/region/s3/aws4_request`.
    pub scope: String,
    /// Signature of the request itself (the seed of the chain).
    pub seed_signature: String,
}

impl fmt::Debug for ChunkSigningContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigningContext")
            .field("access_key_id", &self.access_key_id)
            .field("signing_key", &"<redacted>")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("seed_signature", &self.seed_signature)
            .finish()
    }
}

/// `AWS4-HMAC-SHA256-PAYLOAD\n{date}\n{scope}\n{prev}\n{sha256("")}\n{chunk_hash}`.
pub(crate) fn chunk_string_to_sign(
    amz_date: &str,
    scope: &str,
    previous: &str,
    chunk_hash: &str,
) -> String {
    format!("{CHUNK_ALGORITHM}\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256_HEX}\n{chunk_hash}")
}

/// `AWS4-HMAC-SHA256-TRAILER\n{date}\n{scope}\n{prev}\n{sha256(trailers)}`, the
/// trailers canonicalised as sorted `name:value\n` lines.
pub(crate) fn trailer_string_to_sign(
    amz_date: &str,
    scope: &str,
    previous: &str,
    trailers: &[(String, String)],
) -> String {
    let mut sorted: Vec<(String, &str)> = trailers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
        .collect();
    sorted.sort();
    let mut canonical = String::new();
    for (name, value) in sorted {
        canonical.push_str(&name);
        canonical.push(':');
        canonical.push_str(value);
        canonical.push('\n');
    }
    format!(
        "{TRAILER_ALGORITHM}\n{amz_date}\n{scope}\n{previous}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a `size[;ext]\r\n` line.
    Header,
    /// Inside chunk data.
    Data,
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// Reading trailer lines after the zero-size chunk.
    Trailer,
    /// Final CRLF seen.
    Done,
}

/// Sans-IO aws-chunked decoder. Feed body slices of any size (even one byte at a
/// time); decoded payload bytes are appended to the output vector.
pub struct ChunkedDecoder {
    signing: Option<ChunkSigningContext>,
    expect_trailer: bool,
    state: State,
    failure: Option<AuthError>,
    line: Vec<u8>,
    remaining: u64,
    hasher: Sha256,
    /// Signature announced for the current chunk, then the chain's previous signature.
    chunk_signature: String,
    previous_signature: String,
    decoded: u64,
    expected_len: Option<u64>,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    trailer_len: usize,
}

impl fmt::Debug for ChunkedDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedDecoder")
            .field("signed", &self.signing.is_some())
            .field("expect_trailer", &self.expect_trailer)
            .field("state", &self.state)
            .field("decoded", &self.decoded)
            .field("expected_len", &self.expected_len)
            .finish_non_exhaustive()
    }
}

impl ChunkedDecoder {
    fn new(signing: Option<ChunkSigningContext>, expect_trailer: bool) -> Self {
        let previous_signature = signing
            .as_ref()
            .map(|s| s.seed_signature.clone())
            .unwrap_or_default();
        ChunkedDecoder {
            signing,
            expect_trailer,
            state: State::Header,
            failure: None,
            line: Vec::new(),
            remaining: 0,
            hasher: Sha256::new(),
            chunk_signature: String::new(),
            previous_signature,
            decoded: 0,
            expected_len: None,
            trailers: Vec::new(),
            trailer_signature: None,
            trailer_len: 0,
        }
    }

    /// Decoder for signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, or the
    /// `-TRAILER` variant when `with_trailer`, whose trailer must be signed too).
    pub fn signed(context: ChunkSigningContext, with_trailer: bool) -> Self {
        ChunkedDecoder::new(Some(context), with_trailer)
    }

    /// Decoder for `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (no chunk signatures).
    pub fn unsigned_with_trailer() -> Self {
        ChunkedDecoder::new(None, true)
    }

    /// Requires the decoded payload to be exactly `len` bytes
    /// (`x-amz-decoded-content-length`).
    pub fn with_decoded_length(mut self, len: u64) -> Self {
        self.expected_len = Some(len);
        self
    }

    /// The declared decoded length, if any.
    pub fn expected_decoded_length(&self) -> Option<u64> {
        self.expected_len
    }

    /// True when chunk signatures are verified.
    pub fn is_signed(&self) -> bool {
        self.signing.is_some()
    }

    /// Decoded payload bytes produced so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// True once the final chunk and trailer section have been read and verified.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done && self.failure.is_none()
    }

    /// Consumes a slice of the body, appending decoded payload bytes to `out`.
    /// After an error the decoder stays failed and returns that error again.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        let mut spans = Vec::new();
        let result = self.feed_spans(input, &mut spans);
        for span in spans {
            out.extend_from_slice(&input[span]);
        }
        result
    }

    /// Like [`ChunkedDecoder::feed`], without copying: appends to `spans` the ranges of
    /// `input` that are payload, in order (a caller holding `input` in a shared buffer
    /// can hand out slices of it). On an error, the spans already appended were decoded
    /// before it.
    pub fn feed_spans(
        &mut self,
        input: &[u8],
        spans: &mut Vec<Range<usize>>,
    ) -> Result<(), AuthError> {
        if let Some(err) = &self.failure {
            return Err(err.clone());
        }
        let result = self.feed_inner(input, spans);
        if let Err(err) = &result {
            self.failure = Some(err.clone());
        }
        result
    }

    /// Call at body EOF: checks the stream ended properly (final chunk, trailer
    /// verified when signed, decoded length as declared) and returns the trailers
    /// with lowercase names.
    pub fn finish(&mut self) -> Result<Vec<(String, String)>, AuthError> {
        if let Some(err) = &self.failure {
            return Err(err.clone());
        }
        if self.state != State::Done {
            return Err(AuthError::IncompleteBody(INCOMPLETE.to_owned()));
        }
        if let Some(expected) = self.expected_len {
            if expected != self.decoded {
                return Err(AuthError::IncompleteBody(INCOMPLETE.to_owned()));
            }
        }
        Ok(std::mem::take(&mut self.trailers))
    }

    fn feed_inner(&mut self, whole: &[u8], spans: &mut Vec<Range<usize>>) -> Result<(), AuthError> {
        let mut input = whole;
        while !input.is_empty() {
            match self.state {
                State::Header | State::Trailer => {
                    let consumed = self.collect_line(input)?;
                    input = &input[consumed..];
                }
                State::Data => {
                    let n =
                        usize::try_from(self.remaining).map_or(input.len(), |r| r.min(input.len()));
                    let (data, rest) = input.split_at(n);
                    if self.signing.is_some() {
                        self.hasher.update(data);
                    }
                    let start = whole.len() - input.len();
                    spans.push(start..start + n);
                    let n = n as u64;
                    self.remaining -= n;
                    self.decoded = self.decoded.saturating_add(n);
                    input = rest;
                    if self.remaining == 0 {
                        let hash = hex::encode(std::mem::take(&mut self.hasher).finalize());
                        self.verify_chunk(&hash)?;
                        self.state = State::DataCr;
                    }
                }
                State::DataCr | State::DataLf => {
                    let want = if self.state == State::DataCr {
                        b'\r'
                    } else {
                        b'\n'
                    };
                    if input[0] != want {
                        return Err(malformed("chunk data must be followed by CRLF"));
                    }
                    input = &input[1..];
                    self.state = if self.state == State::DataCr {
                        State::DataLf
                    } else {
                        State::Header
                    };
                }
                State::Done => {
                    if input.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                        input = &[];
                    } else {
                        return Err(malformed("unexpected data after the final chunk"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Accumulates one CRLF-terminated line; handles it when complete.
    /// Returns the number of input bytes consumed.
    fn collect_line(&mut self, input: &[u8]) -> Result<usize, AuthError> {
        let newline = input.iter().position(|&b| b == b'\n');
        let piece = &input[..newline.unwrap_or(input.len())];
        if self.line.len() + piece.len() > MAX_LINE_LEN + 1 {
            return Err(malformed("chunk header or trailer line too long"));
        }
        self.line.extend_from_slice(piece);
        let Some(pos) = newline else {
            return Ok(input.len());
        };
        let mut line = std::mem::take(&mut self.line);
        if line.pop() != Some(b'\r') {
            return Err(malformed("chunk header or trailer line must end with CRLF"));
        }
        match self.state {
            State::Header => self.on_chunk_header(&line)?,
            _ => self.on_trailer_line(&line)?,
        }
        Ok(pos + 1)
    }

    fn on_chunk_header(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let line = std::str::from_utf8(line).map_err(|_| malformed("chunk header is not ASCII"))?;
        let (size, extension) = match line.split_once(';') {
            Some((size, ext)) => (size, Some(ext)),
            None => (line, None),
        };
        if size.is_empty() || size.len() > 16 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("invalid chunk size"));
        }
        let size = u64::from_str_radix(size, 16).map_err(|_| malformed("invalid chunk size"))?;
        if self.signing.is_some() {
            let signature = extension
                .and_then(|ext| ext.strip_prefix("chunk-signature="))
                .filter(|sig| sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| {
                    malformed("chunk header must carry chunk-signature=<64 hex digits>")
                })?;
            self.chunk_signature = signature.to_owned();
        }
        if size == 0 {
            self.verify_chunk(EMPTY_SHA256_HEX)?;
            self.state = State::Trailer;
            return Ok(());
        }
        if let Some(expected) = self.expected_len {
            if self
                .decoded
                .checked_add(size)
                .is_none_or(|total| total > expected)
            {
                return Err(malformed("chunk sizes exceed x-amz-decoded-content-length"));
            }
        }
        self.remaining = size;
        self.hasher = Sha256::new();
        self.state = State::Data;
        Ok(())
    }

    fn verify_chunk(&mut self, chunk_hash: &str) -> Result<(), AuthError> {
        let Some(signing) = &self.signing else {
            return Ok(());
        };
        let sts = chunk_string_to_sign(
            &signing.amz_date,
            &signing.scope,
            &self.previous_signature,
            chunk_hash,
        );
        let expected = sign_string(&signing.signing_key, &sts);
        if !ct_eq(expected.as_bytes(), self.chunk_signature.as_bytes()) {
            return Err(AuthError::mismatch(
                &signing.access_key_id,
                sts,
                String::new(),
                &self.chunk_signature,
            ));
        }
        self.previous_signature = std::mem::take(&mut self.chunk_signature);
        Ok(())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        self.trailer_len += line.len() + 2;
        if self.trailer_len > MAX_TRAILER_LEN {
            return Err(malformed("trailer section too long"));
        }
        if line.is_empty() {
            return self.end_trailers();
        }
        if !self.expect_trailer {
            return Err(malformed(
                "trailing headers were not announced by x-amz-content-sha256",
            ));
        }
        if self.trailer_signature.is_some() {
            return Err(malformed(
                "x-amz-trailer-signature must be the last trailer",
            ));
        }
        let line = std::str::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("trailer line must be name:value"))?;
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(malformed("invalid trailer name"));
        }
        let value = value.trim().to_owned();
        if name == TRAILER_SIGNATURE {
            if self.signing.is_some() {
                self.trailer_signature = Some(value);
            }
            return Ok(());
        }
        self.trailers.push((name, value));
        Ok(())
    }

    fn end_trailers(&mut self) -> Result<(), AuthError> {
        if let (Some(signing), true) = (&self.signing, self.expect_trailer) {
            let provided = self
                .trailer_signature
                .take()
                .ok_or_else(|| malformed("missing x-amz-trailer-signature"))?;
            let sts = trailer_string_to_sign(
                &signing.amz_date,
                &signing.scope,
                &self.previous_signature,
                &self.trailers,
            );
            let expected = sign_string(&signing.signing_key, &sts);
            if !ct_eq(expected.as_bytes(), provided.as_bytes()) {
                return Err(AuthError::mismatch(
                    &signing.access_key_id,
                    sts,
                    String::new(),
                    &provided,
                ));
            }
            self.previous_signature = provided;
        }
        self.state = State::Done;
        Ok(())
    }
}

fn malformed(msg: &str) -> AuthError {
    AuthError::MalformedChunkedEncoding(format!("Malformed aws-chunked body: {msg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Decoded = (Vec<u8>, Vec<(String, String)>);

    fn decode_all(mut d: ChunkedDecoder, body: &[u8]) -> Result<Decoded, AuthError> {
        let mut out = Vec::new();
        d.feed(body, &mut out)?;
        let trailers = d.finish()?;
        Ok((out, trailers))
    }

    #[test]
    fn unsigned_trailer_body() {
        let body = b"5\r\nhello\r\n3\r\n ok\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        let (out, trailers) = decode_all(
            ChunkedDecoder::unsigned_with_trailer().with_decoded_length(8),
            body,
        )
        .unwrap();
        assert_eq!(out, b"hello ok");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]
        );
    }

    #[test]
    fn unsigned_framing_errors() {
        for bad in [
            &b"5\r\nhello\n0\r\n\r\n"[..],
            b"5\nhello\r\n0\r\n\r\n",
            b"z\r\n",
            b"+5\r\nhello\r\n0\r\n\r\n",
            b"11111111111111111\r\n",
            b"5\r\nhelloXX",
            b"0\r\nnocolon\r\n\r\n",
            b"0\r\n\r\ngarbage",
        ] {
            let err = decode_all(ChunkedDecoder::unsigned_with_trailer(), bad).unwrap_err();
            assert_eq!(
                err.code(),
                "InvalidRequest",
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn truncated_and_length_mismatch() {
        let err = decode_all(ChunkedDecoder::unsigned_with_trailer(), b"5\r\nhel").unwrap_err();
        assert_eq!(err.code(), "IncompleteBody");
        let err = decode_all(
            ChunkedDecoder::unsigned_with_trailer().with_decoded_length(6),
            b"5\r\nhello\r\n0\r\n\r\n",
        )
        .unwrap_err();
        assert_eq!(err.code(), "IncompleteBody");
        let err = decode_all(
            ChunkedDecoder::unsigned_with_trailer().with_decoded_length(4),
            b"5\r\nhello\r\n0\r\n\r\n",
        )
        .unwrap_err();
        assert_eq!(err.code(), "InvalidRequest");
    }

    #[test]
    fn long_line_rejected() {
        let mut d = ChunkedDecoder::unsigned_with_trailer();
        let mut out = Vec::new();
        let junk = vec![b'0'; MAX_LINE_LEN + 10];
        assert!(d.feed(&junk, &mut out).is_err());
        // stays failed
        assert!(d.feed(b"\r\n", &mut out).is_err());
        assert!(d.finish().is_err());
    }
}
