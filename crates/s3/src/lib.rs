//! sluice-s3
