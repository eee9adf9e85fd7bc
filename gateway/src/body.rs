//! Request bodies: read as JSON up to [`BODY_LIMIT`], then checked field by
//! field so that every problem is reported at once.
//!
//! Accepted: `application/json` (any `+json` type too), no content type at
//! all, and `application/x-www-form-urlencoded` when the body is JSON (what
//! `curl -d` sends without `-H`). An empty body is the empty object.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Number, Value};

use crate::error::{ApiError, BODY_LIMIT};
use crate::validation::{Loc, Problem, Rule, choose};

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

    /// An integer that fits in 64 bits, or null. A fraction, a string or a
    /// number beyond the int64 range is a problem.
    pub fn integer(&mut self, name: &str) -> Field<i64> {
        match self.map.remove(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::Number(n)) => match integer_of(&n) {
                Ok(n) => Field::Value(n),
                Err(rule) => {
                    self.problem(Loc::body().key(name), rule);
                    Field::Invalid
                }
            },
            Some(_) => {
                self.problem(Loc::body().key(name), Rule::NotInteger);
                Field::Invalid
            }
        }
    }

    /// One of the wire names in `table`, or null; any other value is a problem
    /// listing the permitted names.
    pub fn choice<T: Copy>(&mut self, name: &str, table: &'static [(&'static str, T)]) -> Field<T> {
        match self.string(name) {
            Field::Value(text) => match choose(&text, table) {
                Ok(value) => Field::Value(value),
                Err(rule) => {
                    self.problem(Loc::body().key(name), rule);
                    Field::Invalid
                }
            },
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Invalid => Field::Invalid,
        }
    }

    /// The value of a field that must be given: absent or null is `field required`.
    pub fn required<T>(&mut self, name: &str, field: Field<T>) -> Option<T> {
        if matches!(field, Field::Absent | Field::Null) {
            self.problem(Loc::body().key(name), Rule::Missing);
        }
        field.into_option()
    }

    /// The metadata of a create: string values only (null removes a key only in
    /// an update); absent or null is no metadata.
    pub fn new_metadata(&mut self, name: &str) -> BTreeMap<String, String> {
        let mut metadata = BTreeMap::new();
        for (key, value) in self.string_map(name).into_option().unwrap_or_default() {
            match value {
                Some(value) => {
                    metadata.insert(key, value);
                }
                None => self.problem(Loc::body().key(name).key(&key), Rule::NotNull),
            }
        }
        metadata
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

/// A JSON number as an int64. Numbers written with a fraction or exponent
/// (`1.5`, `1.0`, `1e3`) are not integers, except that a whole number beyond
/// the int64 range (which the parser can only hold as a float) is reported as
/// out of range.
fn integer_of(n: &Number) -> Result<i64, Rule> {
    if let Some(n) = n.as_i64() {
        return Ok(n);
    }
    if n.is_u64() {
        return Err(Rule::AtMost(i64::MAX));
    }
    // 2^63: every float at or beyond it in magnitude is whole. A float equal
    // to -2^63 came from a literal below i64::MIN, which rounds to it.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match n.as_f64() {
        Some(f) if f >= LIMIT => Err(Rule::AtMost(i64::MAX)),
        Some(f) if f <= -LIMIT => Err(Rule::AtLeast(i64::MIN)),
        _ => Err(Rule::NotInteger),
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
    fn integers_must_be_whole_and_fit_in_64_bits() {
        let body = JsonBody::parse(
            br#"{"a": 9223372036854775807, "b": -5, "c": 9223372036854775808, "d": 1e30, "e": -1e30, "f": 1.5, "g": 2.0, "h": "7", "i": null}"#,
        )
        .unwrap();
        let mut f = body.fields();
        assert_eq!(f.integer("a"), Field::Value(i64::MAX));
        assert_eq!(f.integer("b"), Field::Value(-5));
        for name in ["c", "d", "e", "f", "g", "h"] {
            assert_eq!(f.integer(name), Field::Invalid, "{name}");
        }
        assert_eq!(f.integer("i"), Field::Null);
        let kinds: Vec<String> = problems(f.finish())
            .iter()
            .map(|p| p["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "value_error.number.not_le",
                "value_error.number.not_le",
                "value_error.number.not_ge",
                "type_error.integer",
                "type_error.integer",
                "type_error.integer",
            ]
        );
    }

    #[test]
    fn choices_and_required_fields() {
        const TABLE: &[(&str, u8)] = &[("one", 1), ("two", 2)];
        let body = JsonBody::parse(br#"{"a": "two", "b": "three", "c": null}"#).unwrap();
        let mut f = body.fields();
        assert_eq!(f.choice("a", TABLE), Field::Value(2));
        assert_eq!(f.choice("b", TABLE), Field::Invalid);
        let c = f.string("c");
        assert_eq!(f.required("c", c), None);
        let d = f.string("d");
        assert_eq!(f.required("d", d), None);
        assert_eq!(
            problems(f.finish()),
            vec![
                serde_json::json!({"loc": ["body", "b"], "msg": "value is not a valid enumeration member; permitted: 'one', 'two'", "type": "type_error.enum"}),
                serde_json::json!({"loc": ["body", "c"], "msg": "field required", "type": "value_error.missing"}),
                serde_json::json!({"loc": ["body", "d"], "msg": "field required", "type": "value_error.missing"}),
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
