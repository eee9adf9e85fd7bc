//! Validation problems in the seeds' vocabulary (pydantic v1, as the 4geeks
//! document shows): `{"loc": [...], "msg": "...", "type": "..."}`.
//!
//! Both the gateway's own checks and the service's `BadRequest` violations go
//! through [`Problem::new`], so one rule always reads the same.

use customerd_wire::limits::Bound;
use customerd_wire::reasons::Reason;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use tonic_types::FieldViolation;

/// Where a problem lies: `["body", "metadata", "plan"]`, `["query", "limit"]`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Loc(Vec<Value>);

impl Loc {
    pub fn body() -> Self {
        Self(vec![Value::from("body")])
    }

    /// The query string as a whole.
    pub fn query_string() -> Self {
        Self(vec![Value::from("query")])
    }

    pub fn query(parameter: &str) -> Self {
        Self(vec![Value::from("query"), Value::from(parameter)])
    }

    pub fn header(name: &str) -> Self {
        Self(vec![Value::from("header"), Value::from(name)])
    }

    pub fn path(parameter: &str) -> Self {
        Self(vec![Value::from("path"), Value::from(parameter)])
    }

    pub fn key(mut self, key: &str) -> Self {
        self.0.push(Value::from(key));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Value::from(index));
        self
    }
}

/// What is wrong, independent of where.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Missing,
    Extra,
    /// null where a value is needed.
    NotNull,
    NotString,
    NotObject,
    NotArray,
    NotInteger,
    NotBoolean,
    /// The body is not JSON; carries the parser's account of where.
    JsonDecode(String),
    /// A form body's key is malformed or clashes with another.
    FormDecode(String),
    InvalidEmail,
    InvalidDatetime,
    MaxLength(u64),
    MaxItems(u64),
    GreaterThan(i64),
    AtLeast(i64),
    LessThan(i64),
    AtMost(i64),
    /// Not one of the listed values.
    NotOneOf(Vec<&'static str>),
    /// Any other rule, in the service's own words: `reason` is its code.
    Other {
        reason: String,
        description: String,
    },
}

/// One entry of a 422 `detail` list.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct Problem {
    #[schemars(extend("items" = { "type": ["string", "integer"] }))]
    pub loc: Loc,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl Problem {
    /// The one place where a rule becomes words.
    pub fn new(loc: Loc, rule: Rule) -> Self {
        let (msg, kind): (String, &str) = match rule {
            Rule::Missing => ("field required".into(), "value_error.missing"),
            Rule::Extra => ("extra fields not permitted".into(), "value_error.extra"),
            Rule::NotNull => (
                "none is not an allowed value".into(),
                "type_error.none.not_allowed",
            ),
            Rule::NotString => ("str type expected".into(), "type_error.str"),
            Rule::NotObject => ("value is not a valid dict".into(), "type_error.dict"),
            Rule::NotArray => ("value is not a valid list".into(), "type_error.list"),
            Rule::NotInteger => ("value is not a valid integer".into(), "type_error.integer"),
            Rule::NotBoolean => (
                "value could not be parsed to a boolean".into(),
                "type_error.bool",
            ),
            Rule::JsonDecode(detail) => (detail, "value_error.jsondecode"),
            Rule::FormDecode(detail) => (detail, "value_error.formdecode"),
            Rule::InvalidEmail => (
                "value is not a valid email address".into(),
                "value_error.email",
            ),
            Rule::InvalidDatetime => ("invalid datetime format".into(), "value_error.datetime"),
            Rule::MaxLength(n) => (
                format!("ensure this value has at most {n} characters"),
                "value_error.any_str.max_length",
            ),
            Rule::MaxItems(n) => (
                format!("ensure this value has at most {n} items"),
                "value_error.dict.max_items",
            ),
            Rule::GreaterThan(n) => (
                format!("ensure this value is greater than {n}"),
                "value_error.number.not_gt",
            ),
            Rule::LessThan(n) => (
                format!("ensure this value is less than {n}"),
                "value_error.number.not_lt",
            ),
            Rule::AtLeast(n) => (
                format!("ensure this value is greater than or equal to {n}"),
                "value_error.number.not_ge",
            ),
            Rule::AtMost(n) => (
                format!("ensure this value is less than or equal to {n}"),
                "value_error.number.not_le",
            ),
            Rule::NotOneOf(allowed) => {
                let listed: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
                (
                    format!(
                        "value is not a valid enumeration member; permitted: {}",
                        listed.join(", ")
                    ),
                    "type_error.enum",
                )
            }
            Rule::Other {
                reason,
                description,
            } => {
                return Self {
                    loc,
                    msg: description,
                    kind: format!("value_error.{}", reason.to_ascii_lowercase()),
                };
            }
        };
        Self {
            loc,
            msg,
            kind: kind.to_owned(),
        }
    }

    /// A service violation at `loc`, its reason code read as a rule; `limit`
    /// is the one the service sent beside it.
    pub fn from_violation(
        loc: Loc,
        violation: &FieldViolation,
        limit: Option<u64>,
        bound: Option<Bound>,
    ) -> Self {
        let rule = match (Reason::parse(&violation.reason), limit) {
            (Some(Reason::OutOfRange), Some(n)) if bound.is_some() => {
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                match bound {
                    Some(Bound::Gt) => Rule::GreaterThan(n),
                    Some(Bound::Ge) => Rule::AtLeast(n),
                    Some(Bound::Lt) => Rule::LessThan(n),
                    _ => Rule::AtMost(n),
                }
            }
            (Some(Reason::Required), _) => Rule::Missing,
            (Some(Reason::InvalidEmail), _) => Rule::InvalidEmail,
            (Some(Reason::TooLong), Some(n)) => Rule::MaxLength(n),
            (Some(Reason::TooManyKeys), Some(n)) => Rule::MaxItems(n),
            _ => Rule::Other {
                reason: if violation.reason.is_empty() {
                    "invalid".to_owned()
                } else {
                    violation.reason.clone()
                },
                description: violation.description.clone(),
            },
        };
        Self::new(loc, rule)
    }
}

/// The value `text` names in a `(wire name, value)` table, or the rule it breaks.
pub fn choose<T: Copy>(text: &str, table: &[(&'static str, T)]) -> Result<T, Rule> {
    table
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, value)| *value)
        .ok_or_else(|| Rule::NotOneOf(table.iter().map(|(name, _)| *name).collect()))
}

/// Where a service field path lies in the REST request.
///
/// The `idempotency-key` metadata is the header of that name. Bodies: the
/// `customer.` prefix of customer updates is dropped (a bare `customer` is the
/// field of a payment or subscription), `metadata.<key>` becomes
/// `["body", "metadata", "<key>"]`, `id` is the path parameter. Lists: each
/// field is the query parameter it came from, `id` the path parameter of a
/// customer's sub-resource list, and `filter…` points into the `filters`
/// document.
pub fn body_loc(field: &str) -> Loc {
    if field == crate::auth::IDEMPOTENCY_KEY {
        return Loc::header(field);
    }
    let field = field.strip_prefix("customer.").unwrap_or(field);
    if field == "id" {
        return Loc::path("id");
    }
    if field == "update_mask" || field.is_empty() {
        return Loc::body();
    }
    match field.split_once('.') {
        Some((head, rest)) => Loc::body().key(head).key(rest),
        None => Loc::body().key(field),
    }
}

/// See [`body_loc`].
pub fn query_loc(field: &str) -> Loc {
    match field {
        "created_gte" => Loc::query("created[gte]"),
        "created_lte" => Loc::query("created[lte]"),
        f if f == "filter" || f.starts_with("filter.") || f.starts_with("filter[") => {
            crate::filters::loc_of_field(f)
        }
        "id" => Loc::path("id"),
        f => Loc::query(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(field: &str, reason: &str, description: &str) -> FieldViolation {
        FieldViolation {
            field: field.into(),
            description: description.into(),
            reason: reason.into(),
            localized_message: None,
        }
    }

    fn json(p: &Problem) -> Value {
        serde_json::to_value(p).unwrap()
    }

    #[test]
    fn service_reasons_read_in_the_seed_vocabulary() {
        let cases = [
            (
                violation(
                    "customer.email",
                    "INVALID_EMAIL",
                    "is not a valid email address",
                ),
                serde_json::json!({"loc": ["body", "email"], "msg": "value is not a valid email address", "type": "value_error.email"}),
            ),
            (
                violation(
                    "customer.metadata.plan",
                    "TOO_LONG",
                    "value must be at most 500 characters",
                ),
                serde_json::json!({"loc": ["body", "metadata", "plan"], "msg": "ensure this value has at most 500 characters", "type": "value_error.any_str.max_length"}),
            ),
            (
                violation(
                    "metadata",
                    "TOO_MANY_KEYS",
                    "must have at most 50 keys, the update would leave 51",
                ),
                serde_json::json!({"loc": ["body", "metadata"], "msg": "ensure this value has at most 50 items", "type": "value_error.dict.max_items"}),
            ),
            (
                violation("email", "REQUIRED", "is required"),
                serde_json::json!({"loc": ["body", "email"], "msg": "field required", "type": "value_error.missing"}),
            ),
            (
                violation("metadata", "EMPTY_KEY", "keys must not be empty"),
                serde_json::json!({"loc": ["body", "metadata"], "msg": "keys must not be empty", "type": "value_error.empty_key"}),
            ),
        ];
        for (v, want) in cases {
            let limit = match v.reason.as_str() {
                "TOO_LONG" => Some(500),
                "TOO_MANY_KEYS" => Some(50),
                _ => None,
            };
            assert_eq!(
                json(&Problem::from_violation(
                    body_loc(&v.field),
                    &v,
                    limit,
                    None
                )),
                want
            );
        }
    }

    #[test]
    fn list_fields_point_at_their_query_parameters() {
        let v = violation("created_gte", "OUT_OF_RANGE", "is out of range");
        assert_eq!(
            json(&Problem::from_violation(
                query_loc(&v.field),
                &v,
                None,
                None
            )),
            serde_json::json!({"loc": ["query", "created[gte]"], "msg": "is out of range", "type": "value_error.out_of_range"})
        );
        assert_eq!(query_loc("starting_after"), Loc::query("starting_after"));
    }

    #[test]
    fn metadata_keys_with_dots_stay_whole() {
        assert_eq!(
            body_loc("customer.metadata.a.b"),
            Loc::body().key("metadata").key("a.b")
        );
        assert_eq!(body_loc("id"), Loc::path("id"));
        assert_eq!(body_loc("customer"), Loc::body().key("customer"));
        assert_eq!(query_loc("id"), Loc::path("id"));
        assert_eq!(body_loc("idempotency-key"), Loc::header("idempotency-key"));
    }
}
