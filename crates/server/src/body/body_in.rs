//! Reading request bodies: plain or aws-chunked, with the SigV4 payload hash checked at the end.

use crate::auth::auth_error::auth_error_to_s3;
use crate::auth::url_constraints::{entity_too_small, SizeRange};
use crate::body::body_budget::{BodyBudget, HeldBudget};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sha2::{Digest, Sha256};
use sluice_s3::S3Error;
use sluice_sigv4::{check_payload_sha256, ChunkedDecoder, PayloadCheck};
use std::collections::VecDeque;
use std::ops::Range;
use std::time::Duration;
use tokio::time::Instant;

/// How long [`BodyReader::drain_after_error`] waits for the next frame.
const DRAIN_IDLE: Duration = Duration::from_secs(1);

/// A request body decoded to payload bytes, verified as it streams.
pub struct BodyReader {
    incoming: Incoming,
    decoder: Option<ChunkedDecoder>,
    expected_sha256: Option<[u8; 32]>,
    sha256: Option<Sha256>,
    declared_len: Option<u64>,
    received: u64,
    finished: bool,
    trailers: Vec<(String, String)>,
    idle_timeout: Option<Duration>,
    size_range: Option<SizeRange>,
    /// When the last frame arrived (or the reader last got budget): the stall clock.
    last_data: Instant,
    budget: Option<BodyBudget>,
    held: HeldBudget,
    /// Payload read but not yet handed out (waiting for budget).
    pending: Option<Bytes>,
    /// A spill was asked for the pending slice: wait for budget next time.
    spilled: bool,
    /// Payload slices of an aws-chunked frame not yet handed out (a frame can end one
    /// chunk and start the next).
    decoded: VecDeque<Bytes>,
    /// Reused list of where the payload lies in an aws-chunked frame.
    spans: Vec<Range<usize>>,
}

/// What [`BodyReader::next_event`] found.
#[derive(Debug)]
pub enum BodyEvent {
    /// The next slice of payload (budget for it is held until released).
    Data(Bytes),
    /// The verified end of the body.
    End,
    /// Flush what you buffer and release your budget, then ask again.
    Spill,
}

impl BodyReader {
    /// Wraps a body. `declared_len` is the payload length the client announced
    /// (`Content-Length`, or `x-amz-decoded-content-length` for aws-chunked).
    pub fn new(incoming: Incoming, payload: PayloadCheck, declared_len: Option<u64>) -> Self {
        let (decoder, expected_sha256) = match payload {
            PayloadCheck::Unsigned => (None, None),
            PayloadCheck::Sha256(h) => (None, Some(h)),
            PayloadCheck::Chunked(d) => (Some(*d), None),
        };
        BodyReader {
            incoming,
            decoder,
            sha256: expected_sha256.map(|_| Sha256::new()),
            expected_sha256,
            declared_len,
            received: 0,
            finished: false,
            trailers: Vec::new(),
            idle_timeout: None,
            size_range: None,
            last_data: Instant::now(),
            budget: None,
            held: HeldBudget::default(),
            pending: None,
            spilled: false,
            decoded: VecDeque::new(),
            spans: Vec::new(),
        }
    }

    /// Hands out `payload` (already read from the wire by [`read_small_body`]) before anything
    /// left in the body.
    pub fn with_prefetched(mut self, payload: Bytes) -> Self {
        if !payload.is_empty() {
            self.decoded.push_back(payload);
        }
        self
    }

    /// Counts the bytes this reader holds against the server-wide `budget`.
    pub fn with_budget(mut self, budget: &BodyBudget) -> Self {
        self.budget = Some(budget.clone());
        self
    }

    /// Fails a body that delivers no bytes for `timeout` with `RequestTimeout` (stalled uploads).
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Refuses a payload outside `range`: `EntityTooLarge` as soon as more than `range.max`
    /// bytes arrived, `EntityTooSmall` at the end of a body under `range.min`.
    pub fn limit_size(&mut self, range: SizeRange) {
        self.size_range = Some(range);
    }

    /// Lowers the largest accepted payload to `max` bytes (keeping any minimum already set).
    pub fn cap_size(&mut self, max: u64) {
        self.size_range = Some(match self.size_range {
            Some(r) => SizeRange {
                min: r.min,
                max: r.max.min(max),
            },
            None => SizeRange { min: 0, max },
        });
    }

    /// Whether the body is aws-chunked.
    pub fn is_chunked(&self) -> bool {
        self.decoder.is_some()
    }

    /// The payload length the client announced, if any.
    pub fn declared_len(&self) -> Option<u64> {
        self.declared_len
    }

    /// Payload bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Trailing headers (aws-chunked with trailer), available after the last chunk.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    /// The next slice of payload, or `None` at the verified end of the body. Budget (when
    /// set) is held for one slice at a time: the previous slice's is given back first.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, S3Error> {
        self.held.release_to(0);
        match self.next_event(None).await? {
            BodyEvent::Data(data) => Ok(Some(data)),
            BodyEvent::End | BodyEvent::Spill => Ok(None),
        }
    }

    /// The next thing to do for a reader that keeps bytes in a buffer: take data, stop at
    /// the end, or (with `spill_after`) spill — flush the buffer and call
    /// [`BodyReader::release_to`] — because the client went quiet that long while budget
    /// was held, or because the budget is spent and this reader holds some of it.
    pub async fn next_event(
        &mut self,
        spill_after: Option<Duration>,
    ) -> Result<BodyEvent, S3Error> {
        loop {
            if let Some(data) = self.pending.take() {
                let spill_first = spill_after.is_some() && self.held.bytes() > 0 && !self.spilled;
                if let Some(budget) = &self.budget {
                    let permit = if spill_first {
                        budget.try_reserve(data.len())
                    } else {
                        budget.reserve(data.len()).await
                    };
                    match permit {
                        Some(p) => self.held.add(p),
                        None if spill_first => {
                            self.pending = Some(data);
                            self.spilled = true;
                            return Ok(BodyEvent::Spill);
                        }
                        None => return Err(S3Error::internal_error()),
                    }
                    // Time spent waiting for budget is not the client's stall.
                    self.last_data = Instant::now();
                }
                self.spilled = false;
                return Ok(BodyEvent::Data(data));
            }
            if self.finished {
                return Ok(BodyEvent::End);
            }
            let quiet_after = spill_after.filter(|_| self.held.bytes() > 0);
            match self.read_payload(quiet_after).await? {
                Some(data) => self.pending = Some(data),
                None if self.finished => return Ok(BodyEvent::End),
                None => return Ok(BodyEvent::Spill),
            }
        }
    }

    /// Gives back the budget held above `keep` bytes (what the caller still buffers).
    pub fn release_to(&mut self, keep: usize) {
        self.held.release_to(keep);
    }

    /// Reads frames until one carries payload (`Some`), the body ends (`None`, `finished`
    /// set), or nothing arrives for `quiet_after` (`None`).
    async fn read_payload(
        &mut self,
        quiet_after: Option<Duration>,
    ) -> Result<Option<Bytes>, S3Error> {
        loop {
            if let Some(out) = self.decoded.pop_front() {
                return self.account(out).map(Some);
            }
            let stall_deadline = self.idle_timeout.map(|t| self.last_data + t);
            let quiet_deadline = quiet_after.map(|q| Instant::now() + q);
            let deadline = match (stall_deadline, quiet_deadline) {
                (Some(s), Some(q)) => Some(s.min(q)),
                (s, q) => s.or(q),
            };
            let next = self.incoming.frame();
            let polled = match deadline {
                Some(d) => match tokio::time::timeout_at(d, next).await {
                    Ok(polled) => polled,
                    Err(_) if stall_deadline.is_some_and(|s| Instant::now() >= s) => {
                        return Err(request_timeout())
                    }
                    Err(_) => return Ok(None),
                },
                None => next.await,
            };
            let frame = match polled {
                None => {
                    self.finish()?;
                    return Ok(None);
                }
                Some(Err(_)) => return Err(S3Error::incomplete_body()),
                Some(Ok(frame)) => frame,
            };
            self.last_data = Instant::now();
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let out = match &mut self.decoder {
                None => data,
                Some(decoder) => {
                    // The payload is handed out as slices of the frame, not copied.
                    self.spans.clear();
                    decoder
                        .feed_spans(&data, &mut self.spans)
                        .map_err(|e| auth_error_to_s3(&e))?;
                    let mut slices = self.spans.iter().map(|span| data.slice(span.clone()));
                    let Some(first) = slices.next() else {
                        continue;
                    };
                    self.decoded.extend(slices);
                    first
                }
            };
            if out.is_empty() {
                continue;
            }
            return self.account(out).map(Some);
        }
    }

    /// Counts a slice of payload about to be handed out: size limits, the payload hash.
    fn account(&mut self, out: Bytes) -> Result<Bytes, S3Error> {
        self.received += out.len() as u64;
        if let Some(range) = self.size_range {
            if self.received > range.max {
                return Err(S3Error::entity_too_large(range.max));
            }
        }
        if let Some(declared) = self.declared_len {
            if self.received > declared {
                return Err(S3Error::incomplete_body());
            }
        }
        if let Some(h) = &mut self.sha256 {
            h.update(&out);
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<(), S3Error> {
        self.finished = true;
        if let Some(decoder) = &mut self.decoder {
            self.trailers = decoder.finish().map_err(|e| auth_error_to_s3(&e))?;
        }
        if let Some(declared) = self.declared_len {
            if self.received != declared {
                return Err(S3Error::incomplete_body());
            }
        }
        if let Some(range) = self.size_range {
            if self.received < range.min {
                return Err(entity_too_small(range.min));
            }
        }
        if let (Some(expected), Some(h)) = (self.expected_sha256, self.sha256.take()) {
            let computed: [u8; 32] = h.finalize().into();
            check_payload_sha256(&expected, &computed).map_err(|e| auth_error_to_s3(&e))?;
        }
        Ok(())
    }

    /// After a handler refused the request, reads and discards what is left of the body, up
    /// to `max_raw` bytes, so the client reads the error response instead of a connection
    /// reset (closing a socket with unread data makes the kernel send RST). Does nothing if
    /// the body is finished, or if the client waits for `100 Continue` and no byte was read
    /// yet (it sends nothing then). Gives up at the cap or after a second without data.
    pub async fn drain_after_error(&mut self, max_raw: u64, expects_continue: bool) {
        self.pending = None;
        self.held.release_to(0);
        if self.finished || (expects_continue && self.received == 0) {
            return;
        }
        if discard_body(&mut self.incoming, max_raw).await {
            self.finished = true;
        }
    }

    /// Reads the whole (small) body, refusing more than `limit` bytes.
    pub async fn read_to_end(&mut self, limit: usize) -> Result<Vec<u8>, S3Error> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            if out.len() + chunk.len() > limit {
                return Err(too_big());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// 400 MaxMessageLengthExceeded, AWS's answer to a small body (a request document) over its limit.
fn too_big() -> S3Error {
    S3Error::new("MaxMessageLengthExceeded", 400, "Your request was too big.")
}

/// 400 RequestTimeout, AWS's answer to a body that stops arriving.
fn request_timeout() -> S3Error {
    S3Error::new(
        "RequestTimeout",
        400,
        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
    )
}

/// Reads a whole small raw body before authentication (the JSON API's bodies, whose SHA-256 a
/// generic SigV4 signer signs without sending `x-amz-content-sha256`). More than `limit` bytes
/// is `MaxMessageLengthExceeded`; no byte for `idle` is `RequestTimeout`.
pub async fn read_small_body(
    incoming: &mut Incoming,
    limit: usize,
    idle: Duration,
) -> Result<Bytes, S3Error> {
    let mut out = bytes::BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(idle, incoming.frame()).await {
            Err(_) => return Err(request_timeout()),
            Ok(None) => return Ok(out.freeze()),
            Ok(Some(Err(_))) => return Err(S3Error::incomplete_body()),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(too_big());
            }
            out.extend_from_slice(&data);
        }
    }
}

/// Reads and throws away up to about `max_raw` bytes of a body no handler will read, so that
/// a client still sending it reads the error response instead of a connection reset. Stops
/// when the body ends (returns true), fails, goes quiet for a second or passes `max_raw`.
pub async fn discard_body(incoming: &mut Incoming, max_raw: u64) -> bool {
    let mut drained = 0u64;
    while drained <= max_raw {
        match tokio::time::timeout(DRAIN_IDLE, incoming.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    drained += data.len() as u64;
                }
            }
            Ok(None) => return true,
            Ok(Some(Err(_))) | Err(_) => return false,
        }
    }
    false
}
