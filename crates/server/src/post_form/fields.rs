//! Reading a `multipart/form-data` body as it streams (with `multer`): the fields before the
//! file (bounded), then the file part chunk by chunk, then whatever follows (ignored).

use crate::body::body_in::BodyReader;
use bytes::Bytes;
use futures_util::stream;
use multer::{Field, Multipart};
use sluice_s3::S3Error;

/// The fields sent before the file part.
#[derive(Debug, Default)]
pub struct ParsedFields {
    /// (name as sent, value), in order.
    pub values: Vec<(String, String)>,
    /// The file part's `filename`, for `${filename}`.
    pub file_name: Option<String>,
}

impl ParsedFields {
    /// A field's value (names compare case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A form being read from a request body.
pub struct FormFields<'r> {
    multipart: Multipart<'r>,
    file: Option<Field<'r>>,
}

/// Maps a multer error: a failure of the body itself keeps its S3 error (timeout, ...).
pub fn multer_err(e: multer::Error) -> S3Error {
    match e {
        multer::Error::StreamReadFailed(inner) => match inner.downcast::<S3Error>() {
            Ok(s3) => *s3,
            Err(_) => S3Error::malformed_post_request(),
        },
        _ => S3Error::malformed_post_request(),
    }
}

impl<'r> FormFields<'r> {
    /// Starts reading the form in `body` with the given boundary.
    pub fn new(body: &'r mut BodyReader, boundary: String) -> Self {
        let chunks = stream::unfold(body, |r| async move {
            match r.next_chunk().await {
                Ok(Some(b)) => Some((Ok::<Bytes, S3Error>(b), r)),
                Ok(None) => None,
                Err(e) => Some((Err(e), r)),
            }
        });
        FormFields {
            multipart: Multipart::new(chunks, boundary),
            file: None,
        }
    }

    /// Reads the fields up to the `file` part (which must come), at most `limit` bytes of
    /// names and values together.
    pub async fn read_fields_before_file(&mut self, limit: usize) -> Result<ParsedFields, S3Error> {
        let mut parsed = ParsedFields::default();
        let mut used = 0usize;
        loop {
            let Some(mut field) = self.multipart.next_field().await.map_err(multer_err)? else {
                return Err(S3Error::incorrect_number_of_files());
            };
            let name = field.name().unwrap_or_default().to_string();
            if name.eq_ignore_ascii_case("file") {
                parsed.file_name = field.file_name().map(str::to_string);
                self.file = Some(field);
                return Ok(parsed);
            }
            used += name.len();
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multer_err)? {
                used += chunk.len();
                if used > limit {
                    return Err(S3Error::max_post_pre_data_length_exceeded());
                }
                value.extend_from_slice(&chunk);
            }
            if used > limit {
                return Err(S3Error::max_post_pre_data_length_exceeded());
            }
            let value = String::from_utf8(value).map_err(|_| S3Error::malformed_post_request())?;
            parsed.values.push((name, value));
        }
    }

    /// The next bytes of the file part, `None` at its end.
    pub async fn next_file_chunk(&mut self) -> Result<Option<Bytes>, S3Error> {
        match self.file.as_mut() {
            Some(f) => f.chunk().await.map_err(multer_err),
            None => Ok(None),
        }
    }

    /// Reads (and ignores) the parts after the file; a second `file` part is refused.
    pub async fn skip_fields_after_file(&mut self) -> Result<(), S3Error> {
        self.file = None;
        while let Some(mut field) = self.multipart.next_field().await.map_err(multer_err)? {
            if field.name().is_some_and(|n| n.eq_ignore_ascii_case("file")) {
                return Err(S3Error::incorrect_number_of_files());
            }
            while field.chunk().await.map_err(multer_err)?.is_some() {}
        }
        Ok(())
    }
}
