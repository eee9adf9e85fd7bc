//! Request bodies: read up to [`BODY_LIMIT`], then checked field by field so
//! that every problem is reported at once.
//!
//! Accepted: `application/json` (any `+json` type too), no content type at
//! all, and `application/x-www-form-urlencoded` in Stripe's encoding (what the
//! official Stripe SDKs send): `metadata[k]=v`, nested `a[b]=c`, lists
//! `expand[]=x` or `expand[0]=x`. A form body whose text is a JSON object (what
//! `curl -d '{…}'` sends without `-H`) is read as JSON. An empty body is the
//! empty object.
//!
//! A form carries only text, so the reader takes text where a field wants a
//! number, and an empty value as null: `name=` clears the name, `metadata=`
//! all metadata, `metadata[k]=` one key.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Number, Value, json};

use std::future::Future;

use customerd_wire::validate_only::ValidateOnly;

use crate::body_schema::{Recording, metadata};
use crate::error::{ApiError, BODY_LIMIT, Origin, from_body, problems_of};
use crate::validation::{Loc, Problem, Rule, choose};

/// A body object, not yet checked field by field.
#[derive(Debug, Default)]
pub struct Body {
    map: Map<String, Value>,
    /// Decoded from a form: every leaf is text.
    form: bool,
    /// Not a request's: its reader records the body's schema.
    recording: bool,
}

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

fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?"));
        if !acceptable_content_type(content_type) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let form = is_form(content_type);
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
        let json_text = bytes.trim_ascii_start().starts_with(b"{");
        if form && !json_text {
            Self::parse_form(&bytes)
        } else {
            Self::parse(&bytes)
        }
    }
}

impl Body {
    /// Parses a JSON body.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self {
                map,
                form: false,
                recording: false,
            }),
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

    /// Parses a form body in Stripe's encoding into the object it stands
    /// for, every leaf a string. Brackets nest (`a[b][c]=v`); `a[]=v` appends
    /// to a list and `a[0]=v` names an item of one; both are read as lists
    /// only where a field takes a list, so `metadata[0]=v` is the key "0".
    pub fn parse_form(bytes: &[u8]) -> Result<Self, ApiError> {
        let mut map = Map::new();
        let mut problems = Vec::new();
        for (key, value) in form_urlencoded::parse(bytes) {
            let Some(path) = form_path(&key) else {
                problems.push(Problem::new(
                    Loc::body().key(&key),
                    Rule::FormDecode(format!("malformed form key '{key}'")),
                ));
                continue;
            };
            if let Err(at) = insert_form_value(&mut map, &path, value.into_owned()) {
                let mut loc = Loc::body();
                for segment in &path[..=at] {
                    loc = loc.key(segment.as_deref().unwrap_or(""));
                }
                problems.push(Problem::new(
                    loc,
                    Rule::FormDecode(format!("form key '{key}' conflicts with another")),
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self {
                map,
                form: true,
                recording: false,
            })
        } else {
            Err(ApiError::Invalid(problems))
        }
    }

    /// An empty body whose reader records the schema of the body it reads
    /// (see [`crate::body_schema`]); [`Bound::schema`] gives it.
    pub fn recording() -> Self {
        Self {
            recording: true,
            ..Self::default()
        }
    }

    /// A reader that takes the body's fields one by one.
    pub fn fields(self) -> Fields {
        Fields {
            map: self.map,
            form: self.form,
            problems: Vec::new(),
            recording: self.recording.then(Box::default),
        }
    }
}

/// The segments of a form key: `a[b][]` is `a`, `b`, and `None` for an
/// append. `None` for a key that is not of that shape.
fn form_path(key: &str) -> Option<Vec<Option<String>>> {
    let (name, mut rest) = match key.find('[') {
        Some(at) => key.split_at(at),
        None => (key, ""),
    };
    if name.is_empty() || name.contains(']') {
        return None;
    }
    let mut path = vec![Some(name.to_owned())];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let segment = &inner[..close];
        if segment.contains('[') {
            return None;
        }
        path.push((!segment.is_empty()).then(|| segment.to_owned()));
        rest = &inner[close + 1..];
    }
    // An append makes a new item, so it can only be the last segment.
    if path[..path.len() - 1].iter().any(Option::is_none) {
        return None;
    }
    Some(path)
}

/// Puts `value` at `path` in `map`; on a clash with what is there (a key
/// given twice, or both as text and as an object), the index of the segment
/// where the paths meet.
fn insert_form_value(
    map: &mut Map<String, Value>,
    path: &[Option<String>],
    value: String,
) -> Result<(), usize> {
    let mut node = map;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        // An append is keyed by its position among the items so far.
        let key = segment.clone().unwrap_or_else(|| node.len().to_string());
        if last {
            if node.contains_key(&key) {
                return Err(depth);
            }
            node.insert(key, Value::String(value));
            return Ok(());
        }
        let child = node.entry(key).or_insert_with(|| Value::Object(Map::new()));
        match child {
            Value::Object(inner) => node = inner,
            _ => return Err(depth),
        }
    }
    Ok(())
}

/// A request bound from a body: the fields that were well-typed, and the
/// problems of the rest.
#[derive(Debug)]
pub struct Bound<T> {
    pub request: T,
    pub problems: Vec<Problem>,
    recording: Option<Box<Recording>>,
}

impl<T> Bound<T> {
    /// The request, or every problem.
    pub fn into_result(self) -> Result<T, ApiError> {
        if self.problems.is_empty() {
            Ok(self.request)
        } else {
            Err(ApiError::Invalid(self.problems))
        }
    }

    /// The JSON Schema of the body, as a [`Body::recording`] reader noted it;
    /// null for a request's body.
    pub fn schema(self) -> Value {
        self.recording.map_or(Value::Null, |r| r.into_schema())
    }
}

impl<T: ValidateOnly> Bound<T> {
    /// Makes `call` with the request if the body bound cleanly. Otherwise the
    /// service checks the well-typed rest (`validate_only`), so that one 422
    /// lists the body's problems and the service's together; a field already
    /// reported is not reported twice.
    pub async fn call<R, F>(self, call: impl FnOnce(T) -> F) -> Result<R, ApiError>
    where
        F: Future<Output = Result<R, tonic::Status>>,
    {
        if self.problems.is_empty() {
            return call(self.request).await.map_err(from_body);
        }
        let mut request = self.request;
        request.set_validate_only();
        let mut problems = self.problems;
        if let Err(status) = call(request).await
            && status.code() == tonic::Code::InvalidArgument
        {
            for problem in problems_of(&status, Origin::Body) {
                if !problems.iter().any(|p| p.loc == problem.loc) {
                    problems.push(problem);
                }
            }
        }
        Err(ApiError::Invalid(problems))
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
    form: bool,
    problems: Vec<Problem>,
    /// The schema noted so far, when the body is [`Body::recording`].
    recording: Option<Box<Recording>>,
}

impl Fields {
    /// Records a problem of the caller's own.
    pub fn problem(&mut self, loc: Loc, rule: Rule) {
        self.problems.push(Problem::new(loc, rule));
    }

    /// What the schema says of the next field read beyond its type (the
    /// limits the service checks it against, a description), merged into
    /// what its reading shows. Only a recording reader calls `said`.
    pub fn doc(&mut self, said: impl FnOnce() -> Value) -> &mut Self {
        if let Some(recording) = &mut self.recording {
            recording.say(said());
        }
        self
    }

    /// Notes that field `name` is read as `schema`, when recording.
    fn note(&mut self, name: &str, schema: impl FnOnce() -> Value) {
        if let Some(recording) = &mut self.recording {
            recording.field(name, schema());
        }
    }

    /// What was sent for `name`; in a form, an empty value is null.
    fn take(&mut self, name: &str) -> Option<Value> {
        match self.map.remove(name) {
            Some(Value::String(s)) if self.form && s.is_empty() => Some(Value::Null),
            other => other,
        }
    }

    /// A string or null.
    pub fn string(&mut self, name: &str) -> Field<String> {
        self.note(name, || json!({ "type": ["string", "null"] }));
        self.text(name)
    }

    /// [`Self::string`], not noted.
    fn text(&mut self, name: &str) -> Field<String> {
        match self.take(name) {
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
        self.note(name, || {
            json!({ "type": ["object", "null"], "additionalProperties": { "type": ["string", "null"] } })
        });
        self.entries(name)
    }

    /// [`Self::string_map`], not noted.
    fn entries(&mut self, name: &str) -> Field<Vec<(String, Option<String>)>> {
        match self.take(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::Object(entries)) => {
                let mut out = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    match value {
                        Value::String(s) if self.form && s.is_empty() => out.push((key, None)),
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
        self.note(name, || {
            json!({ "type": ["integer", "null"], "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX })
        });
        let number = match self.take(name) {
            // A form's integers are text; read as JSON reads a number.
            Some(Value::String(text)) if self.form => match serde_json::from_str::<Number>(&text) {
                Ok(n) if !text.starts_with('+') => Some(Value::Number(n)),
                _ => Some(Value::String(text)),
            },
            other => other,
        };
        match number {
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
        self.note(name, || {
            let names = table.iter().map(|(name, _)| json!(name));
            json!({ "type": ["string", "null"], "enum": names.chain([Value::Null]).collect::<Vec<_>>() })
        });
        match self.text(name) {
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
        if let Some(recording) = &mut self.recording {
            recording.required(name);
        }
        if matches!(field, Field::Absent | Field::Null) {
            self.problem(Loc::body().key(name), Rule::Missing);
        }
        field.into_option()
    }

    /// A field that may be left out but not cleared: null is a problem.
    pub fn not_null<T>(&mut self, name: &str, field: Field<T>) -> Field<T> {
        if let Some(recording) = &mut self.recording {
            recording.not_null(name);
        }
        match field {
            Field::Null => {
                self.problem(Loc::body().key(name), Rule::NotNull);
                Field::Invalid
            }
            field => field,
        }
    }

    /// The metadata of a create: string values only (null removes a key only in
    /// an update); absent or null is no metadata. In a form, `metadata[k]=`
    /// sets no key, as it would remove one in an update.
    pub fn new_metadata(&mut self, name: &str) -> BTreeMap<String, String> {
        self.doc(|| metadata(false)).note(
            name,
            || json!({ "type": ["object", "null"], "additionalProperties": { "type": "string" } }),
        );
        let mut metadata = BTreeMap::new();
        for (key, value) in self.entries(name).into_option().unwrap_or_default() {
            match value {
                Some(value) => {
                    metadata.insert(key, value);
                }
                None if self.form => {}
                None => self.problem(Loc::body().key(name).key(&key), Rule::NotNull),
            }
        }
        metadata
    }

    /// A list of strings, or null: a JSON array, or in a form `a[]=x` /
    /// `a[0]=x` (items numbered from 0 in order).
    pub fn string_list(&mut self, name: &str) -> Field<Vec<String>> {
        self.note(
            name,
            || json!({ "type": ["array", "null"], "items": { "type": "string" } }),
        );
        let items = match self.take(name) {
            None => return Field::Absent,
            Some(Value::Null) => return Field::Null,
            Some(Value::Array(items)) => items,
            Some(Value::Object(entries)) if self.form => {
                let numbered = entries
                    .keys()
                    .enumerate()
                    .all(|(i, key)| key.parse::<usize>() == Ok(i));
                if !numbered {
                    self.problem(Loc::body().key(name), Rule::NotArray);
                    return Field::Invalid;
                }
                let mut entries: Vec<(usize, Value)> = entries
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                    .collect();
                entries.sort_by_key(|(i, _)| *i);
                entries.into_iter().map(|(_, v)| v).collect()
            }
            Some(Value::String(text)) if self.form => vec![Value::String(text)],
            Some(_) => {
                self.problem(Loc::body().key(name), Rule::NotArray);
                return Field::Invalid;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        let mut bad = false;
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) => out.push(s),
                _ => {
                    self.problem(Loc::body().key(name).index(i), Rule::NotString);
                    bad = true;
                }
            }
        }
        if bad {
            Field::Invalid
        } else {
            Field::Value(out)
        }
    }

    /// A boolean, or null; in a form `true` or `false`.
    pub fn boolean(&mut self, name: &str) -> Field<bool> {
        self.note(name, || json!({ "type": ["boolean", "null"] }));
        match self.take(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::Bool(b)) => Field::Value(b),
            Some(Value::String(text)) if self.form && (text == "true" || text == "false") => {
                Field::Value(text == "true")
            }
            Some(_) => {
                self.problem(Loc::body().key(name), Rule::NotBoolean);
                Field::Invalid
            }
        }
    }

    /// Ends the binding of `request`, which holds the well-typed fields;
    /// every problem (unknown fields included) travels with it.
    pub fn bind<T>(mut self, request: T) -> Bound<T> {
        for name in std::mem::take(&mut self.map).keys() {
            self.problems
                .push(Problem::new(Loc::body().key(name), Rule::Extra));
        }
        Bound {
            request,
            problems: self.problems,
            recording: self.recording,
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
        let body = Body::parse(
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
        let body = Body::parse(
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
        let body = Body::parse(br#"{"a": "two", "b": "three", "c": null}"#).unwrap();
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
        assert!(Body::parse(b"  ").unwrap().map.is_empty());
        assert!(matches!(
            Body::parse(b"[1]"),
            Err(ApiError::Invalid(p)) if p[0].kind == "type_error.dict"
        ));
        assert!(matches!(
            Body::parse(b"{\"a\":"),
            Err(ApiError::Invalid(p)) if p[0].kind == "value_error.jsondecode"
        ));
    }

    #[test]
    fn forms_nest_list_and_clash() {
        let body = Body::parse_form(
            b"email=a%40b.co&metadata[user_id]=123&metadata[0]=zero&expand[]=customer&expand[]=x&items[0]=p&items[1]=q&name=",
        )
        .unwrap();
        let mut f = body.fields();
        assert_eq!(f.string("email"), Field::Value("a@b.co".into()));
        assert_eq!(f.string("name"), Field::Null);
        assert_eq!(
            f.string_map("metadata"),
            Field::Value(vec![
                ("0".into(), Some("zero".into())),
                ("user_id".into(), Some("123".into())),
            ])
        );
        assert_eq!(
            f.string_list("expand"),
            Field::Value(vec!["customer".into(), "x".into()])
        );
        assert_eq!(
            f.string_list("items"),
            Field::Value(vec!["p".into(), "q".into()])
        );
        assert!(f.finish().is_ok());

        for (text, loc) in [
            ("a=1&a=2", serde_json::json!(["body", "a"])),
            ("a=1&a[b]=2", serde_json::json!(["body", "a"])),
            ("a[b]=1&a=2", serde_json::json!(["body", "a"])),
            ("a[b]=1&a[b][c]=2", serde_json::json!(["body", "a", "b"])),
            ("a]=1", serde_json::json!(["body", "a]"])),
            ("[a]=1", serde_json::json!(["body", "[a]"])),
            ("a[][b]=1", serde_json::json!(["body", "a[][b]"])),
            ("a[b=1", serde_json::json!(["body", "a[b"])),
        ] {
            match Body::parse_form(text.as_bytes()) {
                Err(ApiError::Invalid(p)) => {
                    assert_eq!(serde_json::to_value(&p[0].loc).unwrap(), loc, "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn form_text_stands_for_numbers_booleans_and_clearing() {
        let body = Body::parse_form(
            b"amount=1000&big=9223372036854775808&neg=-5&frac=1.5&plus=%2B5&word=ten&empty=&yes=true&no=false&maybe=1&metadata=&m[a]=&m[b]=v",
        )
        .unwrap();
        let mut f = body.fields();
        assert_eq!(f.integer("amount"), Field::Value(1000));
        assert_eq!(f.integer("neg"), Field::Value(-5));
        assert_eq!(f.integer("empty"), Field::Null);
        for name in ["big", "frac", "plus", "word"] {
            assert_eq!(f.integer(name), Field::Invalid, "{name}");
        }
        assert_eq!(f.boolean("yes"), Field::Value(true));
        assert_eq!(f.boolean("no"), Field::Value(false));
        assert_eq!(f.boolean("maybe"), Field::Invalid);
        assert_eq!(f.string_map("metadata"), Field::Null);
        assert_eq!(
            f.new_metadata("m"),
            BTreeMap::from([("b".into(), "v".into())])
        );
        let kinds: Vec<String> = problems(f.finish())
            .iter()
            .map(|p| p["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "value_error.number.not_le",
                "type_error.integer",
                "type_error.integer",
                "type_error.integer",
                "type_error.bool",
            ]
        );
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
