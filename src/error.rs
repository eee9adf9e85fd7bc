//! The service's one error type and its single mapping to a gRPC status.

use sea_orm::DbErr;

use crate::validation::shown;
use customerd_wire::limits;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

pub use customerd_wire::reasons::Reason;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the field in the request message, e.g. `email` or `metadata.plan`.
    pub field: String,
    pub reason: Reason,
    pub description: String,
    /// The limit the value broke (a length, a count, a bound), sent as data
    /// beside the violation so that no client parses it out of the text.
    pub limit: Option<u64>,
    /// How a number broke `limit`.
    pub bound: Option<limits::Bound>,
}

impl Violation {
    pub fn new(field: impl Into<String>, reason: Reason, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason,
            description: description.into(),
            limit: None,
            bound: None,
        }
    }

    pub fn with_bound(mut self, bound: limits::Bound, limit: u64) -> Self {
        self.bound = Some(bound);
        self.limit = Some(limit);
        self
    }

    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = u64::try_from(limit).ok();
        self
    }
}

/// Both results, or every violation of either: two checks of one request
/// report together.
pub fn both<A, B>(a: Result<A>, b: Result<B>) -> Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(Error::Invalid(mut first)), Err(Error::Invalid(second))) => {
            first.extend(second);
            Err(Error::Invalid(first))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
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

    /// An invalid value that broke `limit`.
    pub fn over_limit(
        field: impl Into<String>,
        reason: Reason,
        limit: usize,
        description: impl Into<String>,
    ) -> Self {
        Self::Invalid(vec![
            Violation::new(field, reason, description).with_limit(limit),
        ])
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
                let mut details = ErrorDetails::with_bad_request(field_violations);
                let mut limits: std::collections::HashMap<String, String> = violations
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| Some((limits::limit_key(i), v.limit?.to_string())))
                    .collect();
                limits.extend(violations.iter().enumerate().filter_map(|(i, v)| {
                    Some((limits::bound_key(i), v.bound?.as_str().to_owned()))
                }));
                if !limits.is_empty() {
                    details.set_error_info("INVALID_ARGUMENT", limits::ERROR_DOMAIN, limits);
                }
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
