//! Errors as JSON responses, mapped in one place.
//!
//! Every error body is `{"error": {"code", "message", "field"?, "problems"?}}`;
//! `code` is stable and meant for programs, `message` for people.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sakimori_core::registry::ValidationError;
use sakimori_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub problems: Vec<ValidationError>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `forbidden`, `invalid_field`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Located problems of a refused file (line, field, message).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ValidationError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            problems: vec![],
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a valid API token is required (Authorization: Bearer skm_...)",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("not permitted: {what}"),
        )
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.to_owned()),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::not_found(e.to_string()),
            StoreError::Invalid { field, message } => ApiError::invalid(&field, message),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Forbidden(m) => ApiError::forbidden(&m),
            StoreError::Import(problems) => ApiError {
                problems,
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_registry_file",
                    "the registry file was refused; nothing was written",
                )
            },
            StoreError::Db(_) | StoreError::Migrate(_) => {
                tracing::error!(error = %e, "storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "storage failure",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
                problems: self.problems,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
