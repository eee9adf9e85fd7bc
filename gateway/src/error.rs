//! Every failure the gateway answers, and its one mapping to HTTP.
//!
//! Validation problems are 422 `{"detail": [...]}` in the seeds' format. Every
//! other error is `{"error": {"type": "...", "message": "..."}}` with the status
//! from [`status_for`], the one gRPC code → HTTP table.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use customerd_wire::limits;
use schemars::JsonSchema;
use serde::Serialize;
use tonic::Code;
use tonic_types::StatusExt;

use crate::validation::{Loc, Problem, body_loc, query_loc};

/// Largest request body accepted, in bytes: room for every field at its limit
/// in multi-byte UTF-8.
pub const BODY_LIMIT: usize = 128 * 1024;

/// Which part of the REST request a gRPC request was bound from, so that the
/// service's field paths can be pointed back at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Body,
    Query,
}

#[derive(Debug)]
pub enum ApiError {
    /// 422: the request's own problems, all at once.
    Invalid(Vec<Problem>),
    /// What the service answered.
    Upstream(tonic::Status, Origin),
    MissingKey,
    NoRoute,
    MethodNotAllowed,
    BodyTooLarge,
    UnsupportedMediaType,
    /// The service answered OK without the object it must return.
    EmptyReply,
    /// 410: resuming after an event that is no longer kept.
    Gone(String),
}

/// Converts the service's answer to a call bound from the body.
pub fn from_body(status: tonic::Status) -> ApiError {
    ApiError::Upstream(status, Origin::Body)
}

/// Converts the service's answer to a call bound from the query string.
pub fn from_query(status: tonic::Status) -> ApiError {
    ApiError::Upstream(status, Origin::Query)
}

/// How a gRPC code is answered: HTTP status, error type, and whether the
/// service's message may be shown (otherwise a fixed one is).
pub fn status_for(code: Code) -> (StatusCode, &'static str, Option<&'static str>) {
    match code {
        Code::InvalidArgument | Code::OutOfRange => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", None)
        }
        Code::NotFound => (StatusCode::NOT_FOUND, "not_found", None),
        Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", None),
        Code::AlreadyExists | Code::Aborted | Code::FailedPrecondition => {
            (StatusCode::CONFLICT, "conflict", None)
        }
        Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", None),
        Code::Unavailable | Code::DeadlineExceeded => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some("the service is unavailable, try again"),
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            Some("internal error"),
        ),
    }
}

/// A 422's body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ValidationError")]
pub struct Detail<'a> {
    detail: &'a [Problem],
}

/// Every other error's body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody<'a> {
    error: ErrorFields<'a>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
struct ErrorFields<'a> {
    #[serde(rename = "type")]
    #[schemars(extend("example" = "not_found"))]
    kind: &'a str,
    message: &'a str,
}

/// A JSON response with `status`.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "cannot serialise a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn error_response(status: StatusCode, kind: &str, message: &str) -> Response {
    json_response(
        status,
        &ErrorBody {
            error: ErrorFields { kind, message },
        },
    )
}

fn invalid_response(problems: &[Problem]) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &Detail { detail: problems },
    )
}

/// The 422 problems of an INVALID_ARGUMENT status, one per field violation.
pub fn problems_of(status: &tonic::Status, origin: Origin) -> Vec<Problem> {
    let locate = match origin {
        Origin::Body => body_loc,
        Origin::Query => query_loc,
    };
    let limits = status
        .get_details_error_info()
        .filter(|info| info.domain == limits::ERROR_DOMAIN)
        .map(|info| info.metadata)
        .unwrap_or_default();
    let limit_of = |i: usize| limits.get(&limits::limit_key(i))?.parse().ok();
    let bound_of = |i: usize| limits::Bound::parse(limits.get(&limits::bound_key(i))?);
    let problems: Vec<Problem> = status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    Problem::from_violation(locate(&v.field), v, limit_of(i), bound_of(i))
                })
                .collect()
        })
        .unwrap_or_default();
    if problems.is_empty() {
        let loc = match origin {
            Origin::Body => Loc::body(),
            Origin::Query => Loc::query_string(),
        };
        return vec![Problem::from_violation(
            loc,
            &tonic_types::FieldViolation {
                field: String::new(),
                description: status.message().to_owned(),
                reason: "INVALID".to_owned(),
                localized_message: None,
            },
            None,
            None,
        )];
    }
    problems
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Invalid(problems) => invalid_response(&problems),
            Self::Upstream(status, origin) => {
                let (http, kind, fixed) = status_for(status.code());
                if http == StatusCode::UNPROCESSABLE_ENTITY {
                    return invalid_response(&problems_of(&status, origin));
                }
                if http.is_server_error() {
                    tracing::error!(code = ?status.code(), message = status.message(), "upstream call failed");
                }
                let mut response = error_response(http, kind, fixed.unwrap_or(status.message()));
                // A refused call says when to come back; the REST client hears it too.
                if http == StatusCode::TOO_MANY_REQUESTS {
                    let after = status
                        .metadata()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| HeaderValue::from_str(v).ok())
                        .unwrap_or(HeaderValue::from_static("1"));
                    response.headers_mut().insert(header::RETRY_AFTER, after);
                }
                response
            }
            Self::MissingKey => error_response(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "missing API key: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'",
            ),
            Self::NoRoute => error_response(StatusCode::NOT_FOUND, "not_found", "no such route"),
            Self::MethodNotAllowed => error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept that method",
            ),
            Self::BodyTooLarge => error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                &format!("the request body exceeds {BODY_LIMIT} bytes"),
            ),
            Self::UnsupportedMediaType => error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json or application/x-www-form-urlencoded",
            ),
            Self::Gone(message) => error_response(StatusCode::GONE, "gone", &message),
            Self::EmptyReply => {
                tracing::error!("upstream reply lacks its object");
                error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

/// 404 for paths no profile serves.
pub async fn no_route() -> ApiError {
    ApiError::NoRoute
}

/// 405 for a known path with a method it does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_status() {
        let table = [
            (Code::InvalidArgument, 422),
            (Code::NotFound, 404),
            (Code::Unauthenticated, 401),
            (Code::AlreadyExists, 409),
            (Code::Aborted, 409),
            (Code::FailedPrecondition, 409),
            (Code::ResourceExhausted, 429),
            (Code::Unavailable, 503),
            (Code::Internal, 500),
            (Code::Unknown, 500),
            (Code::DataLoss, 500),
        ];
        for (code, http) in table {
            assert_eq!(status_for(code).0.as_u16(), http, "{code:?}");
        }
    }

    #[test]
    fn internal_text_is_never_shown() {
        assert_eq!(status_for(Code::Internal).2, Some("internal error"));
        assert_eq!(status_for(Code::Unknown).2, Some("internal error"));
        assert!(status_for(Code::Unavailable).2.is_some());
    }
}
