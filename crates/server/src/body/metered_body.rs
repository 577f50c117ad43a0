//! A response body wrapper that counts bytes sent and records the request's total duration
//! when the body ends (or is dropped by a client that went away).

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

pin_project_lite::pin_project! {
    /// Wraps a body; calls [`crate::metrics::record_response_end`] exactly once.
    pub struct MeteredBody<B> {
        #[pin]
        inner: B,
        operation: &'static str,
        started: Instant,
        sent: u64,
        done: bool,
    }

    impl<B> PinnedDrop for MeteredBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done {
                crate::metrics::record_response_end(this.operation, *this.sent, this.started.elapsed());
            }
        }
    }
}

impl<B> MeteredBody<B> {
    /// Wraps `inner` for a request that started at `started`.
    pub fn new(inner: B, operation: &'static str, started: Instant) -> Self {
        MeteredBody {
            inner,
            operation,
            started,
            sent: 0,
            done: false,
        }
    }
}

impl<B: Body<Data = Bytes>> Body for MeteredBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    *this.sent += data.len() as u64;
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => {
                if !*this.done {
                    *this.done = true;
                    crate::metrics::record_response_end(
                        this.operation,
                        *this.sent,
                        this.started.elapsed(),
                    );
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
