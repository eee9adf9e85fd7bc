//! The gateway's 422 answers to query parameters: page sizes and offsets out
//! of range, created bounds and cursors, parameters a profile does not take,
//! and filter documents, each with its exact body.

use serde_json::{Value, json};

use crate::gateway_errors::{customer_id, detail};
use crate::helpers::Backend::Sqlite;
use crate::helpers::{Rest, spawn_app, urlencode};

/// The location of the query parameter `name`.
fn q(name: &str) -> Vec<Value> {
    vec!["query".into(), name.into()]
}

/// A 422 body with one problem, on the query parameter `name`.
fn query_problem(name: &str, msg: &str, kind: &str) -> Value {
    detail(&[(&q(name), msg, kind)])
}

/// GETs each path, expecting a 422 with exactly its body.
async fn assert_422s(rest: &Rest, cases: Vec<(&str, Value)>) {
    for (path, want) in cases {
        let reply = rest.get(path).await;
        assert_eq!(reply.status, 422, "{path}");
        assert_eq!(reply.body, want, "{path}");
    }
}

#[tokio::test]
async fn page_sizes_and_offsets_out_of_range_answer_422() {
    let app = spawn_app(Sqlite).await;
    let not_le = |max: &str| {
        query_problem(
            "limit",
            &format!("ensure this value is less than or equal to {max}"),
            "value_error.number.not_le",
        )
    };
    let cases = vec![
        (
            "/v1/customers?limit=0",
            query_problem(
                "limit",
                "ensure this value is greater than or equal to 1",
                "value_error.number.not_ge",
            ),
        ),
        ("/v1/customers?limit=101", not_le("100")),
        ("/4geeks/v1/customers?limit=101", not_le("100")),
        ("/epoch/v1/customers?limit=1001", not_le("1000")),
        (
            "/epoch/v1/customers?limit=ten",
            query_problem(
                "limit",
                "value is not a valid integer",
                "type_error.integer",
            ),
        ),
        (
            "/4geeks/v1/customers?offset=-1",
            query_problem(
                "offset",
                "ensure this value is greater than or equal to 0",
                "value_error.number.not_ge",
            ),
        ),
        (
            "/4geeks/v1/customers?offset=99999999999",
            query_problem(
                "offset",
                "ensure this value is less than or equal to 2147483647",
                "value_error.number.not_le",
            ),
        ),
    ];
    assert_422s(&app.rest(), cases).await;
}

#[tokio::test]
async fn created_bounds_and_cursors_answer_422_when_invalid() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let unknown = |name: &str| {
        query_problem(
            name,
            "no such customer: 'cus_nope'",
            "value_error.unknown_cursor",
        )
    };
    let cases = vec![
        (
            "/v1/customers?created%5Bgte%5D=yesterday",
            query_problem(
                "created[gte]",
                "invalid datetime format",
                "value_error.datetime",
            ),
        ),
        (
            "/v1/customers?created[lte]=2024-02-30",
            query_problem(
                "created[lte]",
                "invalid datetime format",
                "value_error.datetime",
            ),
        ),
        (
            "/v1/customers?starting_after=cus_nope",
            unknown("starting_after"),
        ),
        (
            "/epoch/v1/customers?ending_before=cus_nope",
            unknown("ending_before"),
        ),
    ];
    assert_422s(&rest, cases).await;
    let id = customer_id(&rest).await;
    let both = rest
        .get(&format!(
            "/v1/customers?starting_after={id}&ending_before={id}"
        ))
        .await;
    assert_eq!(
        both.body,
        query_problem(
            "ending_before",
            "starting_after and ending_before are mutually exclusive",
            "value_error.mutually_exclusive"
        )
    );
}

#[tokio::test]
async fn parameters_a_profile_does_not_take_answer_422() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let extra = "extra fields not permitted";
    let cases = vec![
        (
            "/v1/customers?email=x&offset=3&expand[]=y",
            detail(&[
                (&q("offset"), extra, "value_error.extra"),
                (&q("expand[]"), extra, "value_error.extra"),
            ]),
        ),
        (
            "/epoch/v1/customers?limit=0&email=a@b.co",
            detail(&[
                (
                    &q("limit"),
                    "ensure this value is greater than or equal to 1",
                    "value_error.number.not_ge",
                ),
                (&q("email"), extra, "value_error.extra"),
            ]),
        ),
    ];
    assert_422s(&rest, cases).await;
    // An empty value is no value.
    let path = "/v1/customers?email=";
    let reply = rest.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
}

#[tokio::test]
async fn filter_problems_point_into_the_document() {
    let app = spawn_app(Sqlite).await;
    let rest = app.rest();
    let f = |filters: &str| format!("/epoch/v1/customers?filters={}", urlencode(filters));
    let at = |path: &[Value]| -> Vec<Value> {
        let mut loc = vec![json!("query"), json!("filters")];
        loc.extend_from_slice(path);
        loc
    };
    let cases: Vec<(String, Value)> = vec![
        // The gateway's grammar.
        (
            f(
                r#"{"and": [{"field": "email", "op": "like", "value": "x"}, {"field": "name", "value": 1}]}"#,
            ),
            detail(&[
                (
                    &at(&["and".into(), 0.into(), "op".into()]),
                    "value is not a valid enumeration member; permitted: 'eq', 'ne', 'contains', 'starts_with', 'gt', 'gte', 'lt', 'lte', 'is_null', 'is_not_null'",
                    "type_error.enum",
                ),
                (
                    &at(&["and".into(), 1.into(), "op".into()]),
                    "field required",
                    "value_error.missing",
                ),
            ]),
        ),
        (
            f("not json"),
            detail(&[(
                &at(&[]),
                "JSON decode error: expected ident at line 1 column 2",
                "value_error.jsondecode",
            )]),
        ),
        // The service's rules, pointed back at the document.
        (
            f(
                r#"{"or": [{"field": "email", "op": "eq", "value": "a@b.co"}, {"field": "nickname", "op": "eq", "value": "x"}]}"#,
            ),
            detail(&[(
                &at(&["or".into(), 1.into(), "field".into()]),
                "unknown field 'nickname': use email, name, phone, description, created_at or metadata.<key>",
                "value_error.unknown_field",
            )]),
        ),
        (
            f(r#"{"field": "email", "op": "gt", "value": "a"}"#),
            detail(&[(
                &at(&["op".into()]),
                "FILTER_OPERATOR_GT cannot be applied to 'email'",
                "value_error.invalid_value",
            )]),
        ),
        (
            f(&nested(9)),
            detail(&[(
                &at(&["and".into(), 0.into(), "and".into(), 0.into(), "and".into(), 0.into(), "and".into(), 0.into(), "and".into(), 0.into(), "and".into(), 0.into(), "and".into(), 0.into(), "and".into(), 0.into()]),
                "must be at most 8 levels deep",
                "value_error.out_of_range",
            )]),
        ),
        (
            f(&json!({"or": (0..51).map(|i| json!({"field": "name", "op": "eq", "value": i.to_string()})).collect::<Vec<_>>()}).to_string()),
            detail(&[(&at(&[]), "must have at most 50 conditions", "value_error.out_of_range")]),
        ),
    ];
    for (path, want) in cases {
        let reply = rest.get(&path).await;
        assert_eq!(reply.status, 422, "{path}: {}", reply.body);
        assert_eq!(reply.body, want, "{path}");
    }
}

/// A condition wrapped in `levels - 1` single-child `and` groups.
fn nested(levels: usize) -> String {
    let mut doc = json!({"field": "email", "op": "is_null"});
    for _ in 1..levels {
        doc = json!({"and": [doc]});
    }
    doc.to_string()
}
