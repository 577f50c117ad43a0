//! sluice-iam
