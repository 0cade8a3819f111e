//! The one place where error classes become HTTP status codes.

use engine::ErrorKind;
use hyper::StatusCode;

/// The status for an error class (Docker's codes).
pub fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::NotModified => StatusCode::NOT_MODIFIED,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
