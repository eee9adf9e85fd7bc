//! The `epoch` profile's `filters` query parameter: a JSON document mapped
//! node for node onto `customers.v1.CustomerFilter`, which the service
//! evaluates in the database.
//!
//! ```text
//! filter    = condition | {"and": [filter, ...]} | {"or": [filter, ...]}
//! condition = {"field": FIELD, "op": OP, "value": VALUE}
//! FIELD     = "email" | "name" | "phone" | "description" | "created_at" | "metadata.<key>"
//! OP        = "eq" | "ne" | "contains" | "starts_with" | "gt" | "gte" | "lt" | "lte"
//!           | "is_null" | "is_not_null"          (these two take no "value")
//! VALUE     = a string; for created_at, integer milliseconds since the epoch or
//!             an ISO 8601 string
//! ```
//!
//! `{"and": []}` matches everything and `{"or": []}` nothing. Text fields take
//! eq, ne, contains, starts_with (the last two ignore ASCII case), is_null and
//! is_not_null; `created_at` takes eq, ne, gt, gte, lt and lte. A time names a
//! whole millisecond (or second, for ISO text without a fraction), so
//! `{"field": "created_at", "op": "eq", "value": <a customer's created_at>}` finds
//! it: eq becomes "within the span", ne "outside it", gt/lte compare with its
//! end and gte/lt with its start. At most 8 levels and 50 conditions.

use prost_types::Timestamp;
use serde_json::{Map, Value};

use crate::proto::pb;
use crate::proto::pb::customer_filter::Kind;
use crate::timestamps::Instant;
use crate::validation::{Loc, Problem, Rule};
use customerd_wire::fields::CUSTOMER_TEXTS;
use customerd_wire::limits::{FILTER_MAX_CONDITIONS, FILTER_MAX_DEPTH};

/// The query parameter's name.
pub const PARAMETER: &str = "filters";

const OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "contains",
    "starts_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "is_null",
    "is_not_null",
];

/// The grammar of the parameter, for the OpenAPI document: the fields
/// and operators [`parse`] takes.
pub fn grammar() -> String {
    let fields: Vec<&str> = CUSTOMER_TEXTS.iter().map(|f| f.name).collect();
    format!(
        "A JSON document, evaluated by the database before paging:\n\n\
```\n\
filter    = condition | {{\"and\": [filter, ...]}} | {{\"or\": [filter, ...]}}\n\
condition = {{\"field\": FIELD, \"op\": OP, \"value\": VALUE}}\n\
FIELD     = {} | created_at | metadata.<key>\n\
OP        = {}\n\
```\n\n\
`is_null` / `is_not_null` take no `value`. Text fields take eq, ne, contains, starts_with \
(the last two ignore ASCII case), is_null, is_not_null; `ne` also matches a null field. \
`metadata.<key>` is null when the key is absent. `created_at` takes eq, ne, gt, gte, lt, lte with \
integer milliseconds or an ISO 8601 string; a time names its whole millisecond (or second), so eq \
with a customer's own `created_at` finds it. `{{\"and\": []}}` matches all, `{{\"or\": []}}` none. \
At most {FILTER_MAX_DEPTH} levels and {FILTER_MAX_CONDITIONS} conditions.\n\n\
Example: `{{\"and\":[{{\"field\":\"email\",\"op\":\"contains\",\"value\":\"@example.com\"}},\
{{\"or\":[{{\"field\":\"metadata.plan\",\"op\":\"eq\",\"value\":\"gold\"}},{{\"field\":\"created_at\",\"op\":\"gte\",\"value\":1705312800000}}]}}]}}`",
        fields.join(" | "),
        OPERATORS.join(" | "),
    )
}

/// Parses the `filters` text into a filter tree, or every problem found in it.
pub fn parse(text: &str) -> Result<pb::CustomerFilter, Vec<Problem>> {
    let root = Loc::query(PARAMETER);
    let doc: Value = serde_json::from_str(text).map_err(|err| {
        vec![Problem::new(
            root.clone(),
            Rule::JsonDecode(format!("JSON decode error: {err}")),
        )]
    })?;
    let mut problems = Vec::new();
    let filter = node(&doc, root, &mut problems);
    match filter {
        Some(f) if problems.is_empty() => Ok(f),
        _ => Err(problems),
    }
}

fn group(
    kind: fn(pb::CustomerFilterList) -> Kind,
    filters: Vec<pb::CustomerFilter>,
) -> pb::CustomerFilter {
    pb::CustomerFilter {
        kind: Some(kind(pb::CustomerFilterList { filters })),
    }
}

fn node(doc: &Value, loc: Loc, problems: &mut Vec<Problem>) -> Option<pb::CustomerFilter> {
    let Value::Object(map) = doc else {
        problems.push(Problem::new(loc, Rule::NotObject));
        return None;
    };
    for (name, kind) in [
        ("and", Kind::All as fn(_) -> _),
        ("or", Kind::Any as fn(_) -> _),
    ] {
        if let Some(children) = map.get(name) {
            for other in map.keys().filter(|k| *k != name) {
                problems.push(Problem::new(loc.clone().key(other), Rule::Extra));
            }
            let loc = loc.key(name);
            let Value::Array(children) = children else {
                problems.push(Problem::new(loc, Rule::NotArray));
                return None;
            };
            let filters: Vec<Option<pb::CustomerFilter>> = children
                .iter()
                .enumerate()
                .map(|(i, child)| node(child, loc.clone().index(i), problems))
                .collect();
            return filters
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(|filters| group(kind, filters));
        }
    }
    condition(map, loc, problems)
}

fn operator(name: &str) -> pb::FilterOperator {
    use pb::FilterOperator as O;
    match name {
        "eq" => O::Eq,
        "ne" => O::Ne,
        "contains" => O::Contains,
        "starts_with" => O::StartsWith,
        "gt" => O::Gt,
        "gte" => O::Gte,
        "lt" => O::Lt,
        "lte" => O::Lte,
        "is_null" => O::IsNull,
        "is_not_null" => O::IsNotNull,
        _ => O::Unspecified,
    }
}

fn string_at(
    map: &Map<String, Value>,
    name: &str,
    loc: &Loc,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    match map.get(name) {
        None => {
            problems.push(Problem::new(loc.clone().key(name), Rule::Missing));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            problems.push(Problem::new(loc.clone().key(name), Rule::NotString));
            None
        }
    }
}

fn condition(
    map: &Map<String, Value>,
    loc: Loc,
    problems: &mut Vec<Problem>,
) -> Option<pb::CustomerFilter> {
    for other in map
        .keys()
        .filter(|k| !matches!(k.as_str(), "field" | "op" | "value"))
    {
        problems.push(Problem::new(loc.clone().key(other), Rule::Extra));
    }
    let field = string_at(map, "field", &loc, problems);
    let op = string_at(map, "op", &loc, problems).and_then(|op| {
        let parsed = operator(&op);
        if parsed == pb::FilterOperator::Unspecified {
            problems.push(Problem::new(
                loc.clone().key("op"),
                Rule::NotOneOf(OPERATORS.to_vec()),
            ));
            None
        } else {
            Some(parsed)
        }
    });
    let (field, op) = (field?, op?);
    let takes_value = !matches!(
        op,
        pb::FilterOperator::IsNull | pb::FilterOperator::IsNotNull
    );
    let value = map.get("value");
    let value_loc = loc.clone().key("value");
    let leaf =
        |value: String, time: Option<Timestamp>, op: pb::FilterOperator| pb::CustomerFilter {
            kind: Some(Kind::Condition(pb::CustomerCondition {
                field: field.clone(),
                operator: op as i32,
                value,
                time,
            })),
        };
    match (takes_value, value) {
        (false, None) => Some(leaf(String::new(), None, op)),
        (false, Some(_)) => {
            problems.push(Problem::new(value_loc, Rule::Extra));
            None
        }
        (true, None) => {
            problems.push(Problem::new(value_loc, Rule::Missing));
            None
        }
        (true, Some(value)) if field == "created_at" => {
            let instant = match value {
                Value::Number(n) => n.as_i64().and_then(Instant::from_millis),
                Value::String(s) => Instant::parse_iso(s),
                _ => None,
            };
            let Some(instant) = instant else {
                problems.push(Problem::new(value_loc, Rule::InvalidDatetime));
                return None;
            };
            Some(time_condition(op, instant, |op, ts| {
                leaf(String::new(), Some(ts), op)
            }))
        }
        (true, Some(Value::String(s))) => Some(leaf(s.clone(), None, op)),
        (true, Some(_)) => {
            problems.push(Problem::new(value_loc, Rule::NotString));
            None
        }
    }
}

/// A comparison with an instant that names a span (see the module docs).
fn time_condition(
    op: pb::FilterOperator,
    instant: Instant,
    leaf: impl Fn(pb::FilterOperator, Timestamp) -> pb::CustomerFilter,
) -> pb::CustomerFilter {
    use pb::FilterOperator as O;
    match op {
        O::Eq => group(
            Kind::All,
            vec![leaf(O::Gte, instant.first()), leaf(O::Lte, instant.last())],
        ),
        O::Ne => group(
            Kind::Any,
            vec![leaf(O::Lt, instant.first()), leaf(O::Gt, instant.last())],
        ),
        O::Gt | O::Lte => leaf(op, instant.last()),
        other => leaf(other, instant.first()),
    }
}

/// Where a service field path under `filter` lies in the `filters` document:
/// `filter.all.filters[1].condition.operator` → `["query", "filters", "and", 1, "op"]`.
pub fn loc_of_field(path: &str) -> Loc {
    let mut loc = Loc::query(PARAMETER);
    for segment in path.split('.').skip(1) {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        loc = match name {
            "all" => loc.key("and"),
            "any" => loc.key("or"),
            "filters" | "condition" => loc,
            "operator" => loc.key("op"),
            "time" => loc.key("value"),
            other => loc.key(other),
        };
        if let Some(i) = index {
            loc = loc.index(i);
        }
    }
    loc
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::FilterOperator as O;

    fn cond(field: &str, op: O, value: &str) -> pb::CustomerFilter {
        pb::CustomerFilter {
            kind: Some(Kind::Condition(pb::CustomerCondition {
                field: field.into(),
                operator: op as i32,
                value: value.into(),
                time: None,
            })),
        }
    }

    fn timed(op: O, ts: Timestamp) -> pb::CustomerFilter {
        pb::CustomerFilter {
            kind: Some(Kind::Condition(pb::CustomerCondition {
                field: "created_at".into(),
                operator: op as i32,
                value: String::new(),
                time: Some(ts),
            })),
        }
    }

    fn problems(text: &str) -> Vec<Value> {
        parse(text)
            .unwrap_err()
            .iter()
            .map(|p| serde_json::to_value(p).unwrap())
            .collect()
    }

    #[test]
    fn nested_and_or_map_node_for_node() {
        let got = parse(
            r#"{"and": [
                {"field": "email", "op": "eq", "value": "a@b.co"},
                {"or": [
                    {"field": "metadata.plan", "op": "starts_with", "value": "gold"},
                    {"field": "phone", "op": "is_null"}
                ]}
            ]}"#,
        )
        .unwrap();
        let want = group(
            Kind::All,
            vec![
                cond("email", O::Eq, "a@b.co"),
                group(
                    Kind::Any,
                    vec![
                        cond("metadata.plan", O::StartsWith, "gold"),
                        cond("phone", O::IsNull, ""),
                    ],
                ),
            ],
        );
        assert_eq!(got, want);
        assert_eq!(parse(r#"{"or": []}"#).unwrap(), group(Kind::Any, vec![]));
    }

    #[test]
    fn created_at_takes_millis_or_iso_and_covers_the_named_span() {
        let ms = 1_705_312_800_123_i64;
        let first = Timestamp {
            seconds: 1_705_312_800,
            nanos: 123_000_000,
        };
        let last = Timestamp {
            seconds: 1_705_312_800,
            nanos: 123_999_000,
        };
        assert_eq!(
            parse(&format!(
                r#"{{"field": "created_at", "op": "eq", "value": {ms}}}"#
            ))
            .unwrap(),
            group(Kind::All, vec![timed(O::Gte, first), timed(O::Lte, last)])
        );
        assert_eq!(
            parse(&format!(
                r#"{{"field": "created_at", "op": "lte", "value": {ms}}}"#
            ))
            .unwrap(),
            timed(O::Lte, last)
        );
        assert_eq!(
            parse(r#"{"field": "created_at", "op": "gte", "value": "2024-01-15T10:00:00Z"}"#)
                .unwrap(),
            timed(
                O::Gte,
                Timestamp {
                    seconds: 1_705_312_800,
                    nanos: 0
                }
            )
        );
        assert_eq!(
            parse(r#"{"field": "created_at", "op": "ne", "value": "2024-01-15T10:00:00Z"}"#)
                .unwrap(),
            group(
                Kind::Any,
                vec![
                    timed(
                        O::Lt,
                        Timestamp {
                            seconds: 1_705_312_800,
                            nanos: 0
                        }
                    ),
                    timed(
                        O::Gt,
                        Timestamp {
                            seconds: 1_705_312_800,
                            nanos: 999_999_000
                        }
                    ),
                ]
            )
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_place_in_the_document() {
        assert_eq!(
            problems(
                r#"{"and": [{"field": "email", "op": "like", "value": 3}, {"op": "eq", "value": "x", "extra": 1}, 5, {"field": "created_at", "op": "gt", "value": "soon"}, {"field": "name", "op": "is_null", "value": "x"}]}"#
            ),
            vec![
                serde_json::json!({"loc": ["query", "filters", "and", 0, "op"], "msg": "value is not a valid enumeration member; permitted: 'eq', 'ne', 'contains', 'starts_with', 'gt', 'gte', 'lt', 'lte', 'is_null', 'is_not_null'", "type": "type_error.enum"}),
                serde_json::json!({"loc": ["query", "filters", "and", 1, "extra"], "msg": "extra fields not permitted", "type": "value_error.extra"}),
                serde_json::json!({"loc": ["query", "filters", "and", 1, "field"], "msg": "field required", "type": "value_error.missing"}),
                serde_json::json!({"loc": ["query", "filters", "and", 2], "msg": "value is not a valid dict", "type": "type_error.dict"}),
                serde_json::json!({"loc": ["query", "filters", "and", 3, "value"], "msg": "invalid datetime format", "type": "value_error.datetime"}),
                serde_json::json!({"loc": ["query", "filters", "and", 4, "value"], "msg": "extra fields not permitted", "type": "value_error.extra"}),
            ]
        );
        assert_eq!(
            problems(r#"{"or": {"field": "email"}}"#),
            vec![
                serde_json::json!({"loc": ["query", "filters", "or"], "msg": "value is not a valid list", "type": "type_error.list"})
            ]
        );
        assert_eq!(problems("{")[0]["type"], "value_error.jsondecode");
        assert_eq!(
            problems(r#"{"field": "email", "op": "eq", "value": 1}"#),
            vec![
                serde_json::json!({"loc": ["query", "filters", "value"], "msg": "str type expected", "type": "type_error.str"})
            ]
        );
    }

    #[test]
    fn service_paths_point_back_into_the_document() {
        assert_eq!(
            loc_of_field("filter.all.filters[1].any.filters[0].condition.operator"),
            Loc::query("filters")
                .key("and")
                .index(1)
                .key("or")
                .index(0)
                .key("op")
        );
        assert_eq!(loc_of_field("filter"), Loc::query("filters"));
        assert_eq!(
            loc_of_field("filter.condition.field"),
            Loc::query("filters").key("field")
        );
    }
}
