//! Why a policy document was refused.

/// A policy document that cannot be used, with enough detail to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not JSON at all (position from the JSON parser, 1-based).
    #[error("malformed policy JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// JSON, but not a valid policy (wrong shape, missing element, unknown name...).
    #[error("invalid policy: {0}")]
    Invalid(String),
    /// A condition operator Sluice does not know.
    #[error("invalid policy: unknown condition operator `{0}`")]
    UnknownOperator(String),
    /// An action Sluice does not know.
    #[error("invalid policy: unknown action `{0}`")]
    UnknownAction(String),
}

impl PolicyError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        PolicyError::Invalid(msg.into())
    }
}
