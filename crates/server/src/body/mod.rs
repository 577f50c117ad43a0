//! Request and response bodies: reading with budgets and timeouts, checksums and hashing, streaming
//! stored objects out.

pub mod body_batches;
pub mod body_budget;
pub mod body_in;
pub mod checksum;
pub mod hash_pipeline;
pub mod metered_body;
pub mod multipart_checksum;
pub mod object_reader;
