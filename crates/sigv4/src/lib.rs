//! sluice-sigv4
