//! Request bodies: read as JSON up to [`BODY_LIMIT`], then checked field by
//! field so that every problem is reported at once.
//!
//! Accepted: `application/json` (any `+json` type too), no content type at
//! all, and `application/x-www-form-urlencoded` when the body is JSON (what
//! `curl -d` sends without `-H`). An empty body is the empty object.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::error::{ApiError, BODY_LIMIT};
use crate::validation::{Loc, Problem, Rule};

/// A JSON object body, not yet checked field by field.
#[derive(Debug, Default)]
pub struct JsonBody(pub Map<String, Value>);

fn acceptable_content_type(value: Option<&str>) -> bool {
    let Some(value) = value else {
        return true;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.is_empty()
        || essence == "application/json"
        || essence == "application/x-www-form-urlencoded"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?"));
        if !acceptable_content_type(content_type) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge
            } else {
                ApiError::Invalid(vec![Problem::new(
                    Loc::body(),
                    Rule::JsonDecode(rejection.body_text()),
                )])
            }
        })?;
        if bytes.len() > BODY_LIMIT {
            return Err(ApiError::BodyTooLarge);
        }
        Self::parse(&bytes)
    }
}

impl JsonBody {
    /// Parses raw body bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::Invalid(vec![Problem::new(
                Loc::body(),
                Rule::NotObject,
            )])),
            Err(err) => Err(ApiError::Invalid(vec![Problem::new(
                Loc::body(),
                Rule::JsonDecode(format!("JSON decode error: {err}")),
            )])),
        }
    }

    /// A reader that takes the body's fields one by one.
    pub fn fields(self) -> Fields {
        Fields {
            map: self.0,
            problems: Vec::new(),
        }
    }
}

/// A field as sent: absent, explicitly null, a value, or of the wrong type
/// (already reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Absent,
    Null,
    Value(T),
    Invalid,
}

impl<T> Field<T> {
    /// The value, if one was sent.
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Absent | Self::Null | Self::Invalid => None,
        }
    }
}

/// Takes typed fields out of a body object, collecting problems as it goes.
#[derive(Debug)]
pub struct Fields {
    map: Map<String, Value>,
    problems: Vec<Problem>,
}

impl Fields {
    /// Records a problem of the caller's own.
    pub fn problem(&mut self, loc: Loc, rule: Rule) {
        self.problems.push(Problem::new(loc, rule));
    }

    /// A string or null.
    pub fn string(&mut self, name: &str) -> Field<String> {
        match self.map.remove(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(s)) => Field::Value(s),
            Some(_) => {
                self.problem(Loc::body().key(name), Rule::NotString);
                Field::Invalid
            }
        }
    }

    /// An object of strings or null, e.g. `metadata`. Entries whose value is null
    /// come back as `None`.
    pub fn string_map(&mut self, name: &str) -> Field<Vec<(String, Option<String>)>> {
        match self.map.remove(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::Object(entries)) => {
                let mut out = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    match value {
                        Value::String(s) => out.push((key, Some(s))),
                        Value::Null => out.push((key, None)),
                        _ => self.problem(Loc::body().key(name).key(&key), Rule::NotString),
                    }
                }
                Field::Value(out)
            }
            Some(_) => {
                self.problem(Loc::body().key(name), Rule::NotObject);
                Field::Invalid
            }
        }
    }

    /// Ok when every field was known and well-typed; otherwise every problem,
    /// unknown fields included.
    pub fn finish(mut self) -> Result<(), ApiError> {
        for name in std::mem::take(&mut self.map).keys() {
            self.problem(Loc::body().key(name), Rule::Extra);
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(self.problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(result: Result<(), ApiError>) -> Vec<serde_json::Value> {
        match result {
            Err(ApiError::Invalid(p)) => {
                p.iter().map(|p| serde_json::to_value(p).unwrap()).collect()
            }
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn reports_every_wrong_type_and_unknown_field_at_once() {
        let body = JsonBody::parse(
            br#"{"email": 5, "metadata": {"a": 1, "b": null}, "name": null, "nickname": "x"}"#,
        )
        .unwrap();
        let mut f = body.fields();
        assert_eq!(f.string("email"), Field::Invalid);
        assert_eq!(f.string("name"), Field::Null);
        assert_eq!(
            f.string_map("metadata"),
            Field::Value(vec![("b".to_owned(), None)])
        );
        assert_eq!(
            problems(f.finish()),
            vec![
                serde_json::json!({"loc": ["body", "email"], "msg": "str type expected", "type": "type_error.str"}),
                serde_json::json!({"loc": ["body", "metadata", "a"], "msg": "str type expected", "type": "type_error.str"}),
                serde_json::json!({"loc": ["body", "nickname"], "msg": "extra fields not permitted", "type": "value_error.extra"}),
            ]
        );
    }

    #[test]
    fn empty_body_is_the_empty_object_and_arrays_are_not_objects() {
        assert!(JsonBody::parse(b"  ").unwrap().0.is_empty());
        assert!(matches!(
            JsonBody::parse(b"[1]"),
            Err(ApiError::Invalid(p)) if p[0].kind == "type_error.dict"
        ));
        assert!(matches!(
            JsonBody::parse(b"{\"a\":"),
            Err(ApiError::Invalid(p)) if p[0].kind == "value_error.jsondecode"
        ));
    }

    #[test]
    fn content_types() {
        for ok in [
            None,
            Some("application/json"),
            Some("application/json; charset=utf-8"),
            Some("application/merge-patch+json"),
            Some("application/x-www-form-urlencoded"),
        ] {
            assert!(acceptable_content_type(ok), "{ok:?}");
        }
        for bad in [Some("text/plain"), Some("multipart/form-data; boundary=x")] {
            assert!(!acceptable_content_type(bad), "{bad:?}");
        }
    }
}
