//! JSON errors of the service API: `{"error": CODE, "message": TEXT, "field": NAME?}`.

use crate::net::response::{self, ResponseBody};
use http::Response;
use serde_json::json;
use sluice_s3::S3Error;

/// An error answered as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable error code (S3 codes where one fits).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// The request field at fault, if any.
    pub field: Option<String>,
}

impl ApiError {
    /// 400 for a bad request field.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "InvalidRequest",
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }
    /// 400 for a body that is not the expected JSON.
    pub fn bad_json(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "MalformedJSON",
            message: message.into(),
            field: None,
        }
    }
    /// 403 for a caller who may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError {
            status: 403,
            code: "AccessDenied",
            message: message.into(),
            field: None,
        }
    }
    /// 404 for an unknown path.
    pub fn not_found(path: &str) -> Self {
        ApiError {
            status: 404,
            code: "NotFound",
            message: format!("no such API: /_sluice/{path}"),
            field: None,
        }
    }
    /// 405 for a known path with the wrong method.
    pub fn method_not_allowed(method: &str) -> Self {
        ApiError {
            status: 405,
            code: "MethodNotAllowed",
            message: format!("method {method} is not allowed here"),
            field: None,
        }
    }
    /// The JSON response.
    pub fn into_response(self) -> Response<ResponseBody> {
        let mut body = json!({ "error": self.code, "message": self.message });
        if let Some(f) = self.field {
            body["field"] = json!(f);
        }
        response::json(self.status, &body)
    }
}

impl From<S3Error> for ApiError {
    fn from(e: S3Error) -> Self {
        ApiError {
            status: e.status,
            code: e.code,
            message: e.message,
            field: None,
        }
    }
}
