//! The service's one error type and its single mapping to a gRPC status.

use sea_orm::DbErr;

use crate::validation::shown;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// Why a field was rejected; sent as the `reason` of its `BadRequest` field
/// violation so clients (and the REST gateway) can act on it without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A required field is missing.
    Required,
    /// Not a valid email address.
    InvalidEmail,
    /// A string is longer than its limit (the description says the limit).
    TooLong,
    /// A map has more keys than allowed (the description says the limit).
    TooManyKeys,
    /// A map key is empty.
    EmptyKey,
    /// A number or timestamp lies outside its allowed range.
    OutOfRange,
    /// Fields that cannot be given together were.
    MutuallyExclusive,
    /// A pagination cursor names no object the caller can see.
    UnknownCursor,
    /// A field path or filter field that does not exist.
    UnknownField,
    /// Any other malformed value.
    InvalidValue,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "REQUIRED",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::TooLong => "TOO_LONG",
            Self::TooManyKeys => "TOO_MANY_KEYS",
            Self::EmptyKey => "EMPTY_KEY",
            Self::OutOfRange => "OUT_OF_RANGE",
            Self::MutuallyExclusive => "MUTUALLY_EXCLUSIVE",
            Self::UnknownCursor => "UNKNOWN_CURSOR",
            Self::UnknownField => "UNKNOWN_FIELD",
            Self::InvalidValue => "INVALID_VALUE",
        }
    }
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field in the request message, e.g. `email` or `metadata.plan`.
    pub field: String,
    pub reason: Reason,
    pub description: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, reason: Reason, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason,
            description: description.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("no such {resource}: {id}")]
    NotFound { resource: &'static str, id: String },
    #[error("{0}")]
    FailedPrecondition(String),
    /// A conflict with a concurrent request; retrying may succeed.
    #[error("{0}")]
    Aborted(String),
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),
    #[error("internal error")]
    Internal(#[source] DbErr),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            resource,
            id: id.into(),
        }
    }

    pub fn invalid(
        field: impl Into<String>,
        reason: Reason,
        description: impl Into<String>,
    ) -> Self {
        Self::Invalid(vec![Violation::new(field, reason, description)])
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        match err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable(err),
            other => Self::Internal(other),
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid(violations) => {
                let field_violations: Vec<FieldViolation> = violations
                    .iter()
                    .map(|v| FieldViolation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                        reason: v.reason.as_str().to_owned(),
                        localized_message: None,
                    })
                    .collect();
                let details = ErrorDetails::with_bad_request(field_violations);
                let summary = violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.description))
                    .collect::<Vec<_>>()
                    .join("; ");
                Status::with_error_details(Code::InvalidArgument, summary, details)
            }
            Error::NotFound { resource, id } => {
                Status::not_found(format!("no such {resource}: '{}'", shown(&id)))
            }
            Error::FailedPrecondition(msg) => Status::failed_precondition(msg),
            Error::Aborted(msg) => Status::aborted(msg),
            Error::Unavailable(source) => {
                tracing::error!(error = %source, "database unavailable");
                Status::unavailable("the database is unavailable, try again")
            }
            Error::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                Status::internal("internal error")
            }
        }
    }
}
