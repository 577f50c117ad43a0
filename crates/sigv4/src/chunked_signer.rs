//! Producing aws-chunked bodies: the signing counterpart of [`ChunkedDecoder`](crate::ChunkedDecoder).

use std::fmt;

use time::OffsetDateTime;

use crate::canonical::{credential_scope, sign_string};
use crate::chunked::{chunk_string_to_sign, trailer_string_to_sign, TRAILER_SIGNATURE};
use crate::crypto::sha256_hex;
use crate::datetime::{format_amz_date, format_date_stamp};
use crate::signing_key::derive_signing_key;

/// Signs and frames the chunks of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`
/// body, chaining each chunk signature from the request's seed signature.
#[derive(Clone)]
pub struct ChunkedSigner {
    signing_key: [u8; 32],
    amz_date: String,
    scope: String,
    previous_signature: String,
}

impl fmt::Debug for ChunkedSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedSigner")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("previous_signature", &self.previous_signature)
            .finish_non_exhaustive()
    }
}

impl ChunkedSigner {
    /// A signer for a request signed at `datetime` in `region`/`service` whose
    /// own (seed) signature is `seed_signature`.
    pub fn new(
        secret_access_key: &str,
        datetime: OffsetDateTime,
        region: &str,
        service: &str,
        seed_signature: &str,
    ) -> Self {
        let date = format_date_stamp(datetime);
        ChunkedSigner {
            signing_key: derive_signing_key(secret_access_key, &date, region, service),
            amz_date: format_amz_date(datetime),
            scope: credential_scope(&date, region, service),
            previous_signature: seed_signature.to_owned(),
        }
    }

    /// The signature of the last signed chunk (the seed before any chunk).
    pub fn previous_signature(&self) -> &str {
        &self.previous_signature
    }

    /// Signs the next chunk (empty for the final chunk) and advances the chain.
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let sts = chunk_string_to_sign(
            &self.amz_date,
            &self.scope,
            &self.previous_signature,
            &sha256_hex(data),
        );
        let signature = sign_string(&self.signing_key, &sts);
        self.previous_signature = signature.clone();
        signature
    }

    /// Signs the trailer section (`name:value` pairs) and advances the chain.
    pub fn sign_trailer(&mut self, trailers: &[(String, String)]) -> String {
        let sts = trailer_string_to_sign(
            &self.amz_date,
            &self.scope,
            &self.previous_signature,
            trailers,
        );
        let signature = sign_string(&self.signing_key, &sts);
        self.previous_signature = signature.clone();
        signature
    }

    /// Frames one data chunk: `hex-size;chunk-signature=sig\r\n<data>\r\n`.
    pub fn frame_chunk(&mut self, data: &[u8]) -> Vec<u8> {
        let signature = self.sign_chunk(data);
        let mut out = format!("{:x};chunk-signature={signature}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Frames the final zero-size chunk without trailer: `0;chunk-signature=sig\r\n\r\n`.
    pub fn frame_final(&mut self) -> Vec<u8> {
        let signature = self.sign_chunk(b"");
        format!("0;chunk-signature={signature}\r\n\r\n").into_bytes()
    }

    /// Frames the final chunk followed by signed trailers
    /// (`name:value\r\n`..., `x-amz-trailer-signature:sig\r\n`, `\r\n`).
    pub fn frame_final_with_trailers(&mut self, trailers: &[(String, String)]) -> Vec<u8> {
        let signature = self.sign_chunk(b"");
        let mut out = format!("0;chunk-signature={signature}\r\n");
        for (name, value) in trailers {
            out.push_str(&format!("{name}:{value}\r\n"));
        }
        let trailer_signature = self.sign_trailer(trailers);
        out.push_str(&format!("{TRAILER_SIGNATURE}:{trailer_signature}\r\n\r\n"));
        out.into_bytes()
    }
}

/// Frames one chunk of a `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body: `hex-size\r\n<data>\r\n`.
pub fn frame_unsigned_chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// Frames the end of a `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body: `0\r\n`, trailers, `\r\n`.
pub fn frame_unsigned_final(trailers: &[(String, String)]) -> Vec<u8> {
    let mut out = String::from("0\r\n");
    for (name, value) in trailers {
        out.push_str(&format!("{name}:{value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Encoded length of a signed aws-chunked body (no trailer) carrying
/// `payload_len` bytes in chunks of `chunk_size` (the `Content-Length` to send).
pub fn signed_chunked_encoded_len(payload_len: u64, chunk_size: u64) -> u64 {
    // "<hex>;chunk-signature=<64>\r\n" + data + "\r\n"
    let frame = |size: u64| -> u64 {
        let hex_len = u64::from(size.checked_ilog(16).unwrap_or(0)) + 1;
        hex_len + ";chunk-signature=".len() as u64 + 64 + 2 + size + 2
    };
    let chunk_size = chunk_size.max(1);
    let full = payload_len / chunk_size;
    let rest = payload_len % chunk_size;
    let mut total = full.saturating_mul(frame(chunk_size));
    if rest > 0 {
        total = total.saturating_add(frame(rest));
    }
    // final chunk: frame(0) already ends with its data CRLF, which is the terminating CRLF
    total.saturating_add(frame(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_len_matches_aws_example() {
        // AWS's chunked upload example: 66560 bytes in 64 KiB chunks, Content-Length 66824.
        assert_eq!(signed_chunked_encoded_len(66_560, 65_536), 66_824);
    }
}
