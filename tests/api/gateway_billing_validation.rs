//! Every rule on payment and subscription bodies and lists through the
//! gateway, in every profile, as a 422 with its exact problems; unknown
//! objects as 404s; NUL characters as 422s or unknown ids.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::gateway_billing::{PROFILES, payer};
use crate::helpers::{Backend, JSON, Rest, ids, spawn_app};

/// A request body (or query) and the problems its 422 lists.
type Case = (String, Vec<Value>);

fn problem(loc: &[&str], msg: &str, kind: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
}

/// A problem with the body's `field`.
fn field(field: &str, msg: &str, kind: &str) -> Value {
    problem(&["body", field], msg, kind)
}

fn missing(name: &str) -> Value {
    field(name, "field required", "value_error.missing")
}

fn not_a_string(name: &str) -> Value {
    field(name, "str type expected", "type_error.str")
}

fn extra_field(name: &str) -> Value {
    field(name, "extra fields not permitted", "value_error.extra")
}

fn no_such_customer(id: &str) -> Value {
    field(
        "customer",
        &format!("no such customer: '{id}'"),
        "value_error.invalid_value",
    )
}

fn amount(msg: &str, kind: &str) -> Value {
    field("amount", msg, kind)
}

fn sorted(mut detail: Value) -> Value {
    if let Some(entries) = detail["detail"].as_array_mut() {
        entries.sort_by_key(|e| e.to_string());
    }
    detail
}

fn too_many_keys() -> Value {
    Value::Object((0..51).map(|i| (format!("k{i}"), json!("v"))).collect())
}

/// An id no customer has.
const NONE: &str = "cus_000000000000000000000000";

/// A customer to refer to and one that was deleted.
async fn customer_and_gone(rest: &Rest) -> (String, String) {
    let customer = payer(rest).await;
    let gone = payer(rest).await;
    assert_eq!(
        rest.delete(&format!("/v1/customers/{gone}")).await.status,
        200
    );
    (customer, gone)
}

/// Every broken `metadata`, set on the otherwise valid `base`.
fn metadata_cases(base: Value) -> Vec<Case> {
    let with = |metadata: Value| {
        let mut body = base.clone();
        body["metadata"] = metadata;
        body.to_string()
    };
    let long_key = "k".repeat(41);
    vec![
        (
            with(too_many_keys()),
            vec![field(
                "metadata",
                "ensure this value has at most 50 items",
                "value_error.dict.max_items",
            )],
        ),
        (
            with(json!({&long_key: "v"})),
            vec![problem(
                &["body", "metadata", &long_key],
                "ensure this value has at most 40 characters",
                "value_error.any_str.max_length",
            )],
        ),
        (
            with(json!({"plan": "x".repeat(501)})),
            vec![problem(
                &["body", "metadata", "plan"],
                "ensure this value has at most 500 characters",
                "value_error.any_str.max_length",
            )],
        ),
        (
            with(json!({"": "v"})),
            vec![field(
                "metadata",
                "keys must not be empty",
                "value_error.empty_key",
            )],
        ),
        (
            with(json!({"plan": null, "seats": 3})),
            vec![
                problem(
                    &["body", "metadata", "plan"],
                    "none is not an allowed value",
                    "type_error.none.not_allowed",
                ),
                problem(
                    &["body", "metadata", "seats"],
                    "str type expected",
                    "type_error.str",
                ),
            ],
        ),
        (
            with(json!("plan=gold")),
            vec![field(
                "metadata",
                "value is not a valid dict",
                "type_error.dict",
            )],
        ),
    ]
}

/// Payment bodies missing, mistyping or misspelling a field.
fn payment_shape_cases() -> Vec<Case> {
    let not_iso = || {
        field(
            "currency",
            "is not an ISO 4217 currency code",
            "value_error.invalid_value",
        )
    };
    let not_positive = amount(
        "ensure this value is greater than 0",
        "value_error.number.not_gt",
    );
    vec![
        ("{}".into(), vec![missing("amount"), missing("currency")]),
        (
            r#"{"amount": null, "currency": null}"#.into(),
            vec![missing("amount"), missing("currency")],
        ),
        (
            r#"{"amount": 100, "currency": "usdd"}"#.into(),
            vec![not_iso()],
        ),
        (
            r#"{"amount": 100, "currency": "XYZ"}"#.into(),
            vec![not_iso()],
        ),
        (
            r#"{"amount": 100, "currency": ""}"#.into(),
            vec![missing("currency")],
        ),
        (
            r#"{"amount": 100, "currency": 840}"#.into(),
            vec![not_a_string("currency")],
        ),
        (
            r#"{"amount": 0, "currency": "xyz", "description": 5}"#.into(),
            // A wrong type hides no bad value: the body's problems, then the
            // service's about the well-typed rest, in one reply.
            vec![not_a_string("description"), not_positive.clone(), not_iso()],
        ),
        (
            r#"{"amount": 0, "currency": "xyz"}"#.into(),
            vec![not_positive, not_iso()],
        ),
        (
            r#"{"amount": 100, "currency": "usd", "tip": 5, "capture": true}"#.into(),
            vec![extra_field("capture"), extra_field("tip")],
        ),
        (
            "[1]".into(),
            vec![problem(
                &["body"],
                "value is not a valid dict",
                "type_error.dict",
            )],
        ),
    ]
}

/// Payment bodies with values the rules refuse.
fn payment_value_cases(gone: &str) -> Vec<Case> {
    let status = || {
        field(
            "status",
            "value is not a valid enumeration member; permitted: 'pending', 'succeeded', 'failed', 'refunded'",
            "type_error.enum",
        )
    };
    vec![
        (
            r#"{"amount": 100, "currency": "usd", "status": "paid"}"#.into(),
            vec![status()],
        ),
        (
            r#"{"amount": 100, "currency": "usd", "status": "SUCCEEDED"}"#.into(),
            vec![status()],
        ),
        (
            json!({"amount": 100, "currency": "usd", "customer": NONE}).to_string(),
            vec![no_such_customer(NONE)],
        ),
        (
            json!({"amount": 100, "currency": "usd", "customer": gone}).to_string(),
            vec![no_such_customer(gone)],
        ),
        (
            r#"{"amount": 100, "currency": "usd", "customer": ""}"#.into(),
            vec![field(
                "customer",
                "must not be empty",
                "value_error.invalid_value",
            )],
        ),
        (
            json!({"amount": 100, "currency": "usd", "description": "d".repeat(1001)}).to_string(),
            vec![field(
                "description",
                "ensure this value has at most 1000 characters",
                "value_error.any_str.max_length",
            )],
        ),
    ]
}

/// Payment bodies whose amount is no positive int64.
fn amount_cases() -> Vec<Case> {
    let not_integer = amount("value is not a valid integer", "type_error.integer");
    let too_big = amount(
        "ensure this value is less than or equal to 9223372036854775807",
        "value_error.number.not_le",
    );
    let not_positive = amount(
        "ensure this value is greater than 0",
        "value_error.number.not_gt",
    );
    let too_small = amount(
        "ensure this value is greater than or equal to -9223372036854775808",
        "value_error.number.not_ge",
    );
    [
        ("0", not_positive.clone()),
        ("-250", not_positive),
        ("9223372036854775808", too_big.clone()),
        ("100000000000000000000000", too_big.clone()),
        ("1e30", too_big),
        ("-9223372036854775809", too_small),
        ("10.5", not_integer.clone()),
        ("100.0", not_integer.clone()),
        ("\"100\"", not_integer.clone()),
        ("true", not_integer),
    ]
    .map(|(amount, problem)| {
        (
            format!(r#"{{"amount": {amount}, "currency": "usd"}}"#),
            vec![problem],
        )
    })
    .into()
}

fn subscription_cases(customer: &str, gone: &str) -> Vec<Case> {
    let status = || {
        field(
            "status",
            "value is not a valid enumeration member; permitted: 'active', 'trialing', 'past_due'",
            "type_error.enum",
        )
    };
    let with = |body: Value| body.to_string();
    vec![
        ("{}".into(), vec![missing("customer"), missing("plan")]),
        (
            with(json!({"customer": customer, "plan": ""})),
            vec![missing("plan")],
        ),
        (
            with(json!({"customer": "", "plan": "pro"})),
            vec![missing("customer")],
        ),
        (
            with(json!({"customer": customer, "plan": "p".repeat(257)})),
            vec![field(
                "plan",
                "ensure this value has at most 256 characters",
                "value_error.any_str.max_length",
            )],
        ),
        (
            with(json!({"customer": customer, "plan": 7})),
            vec![not_a_string("plan")],
        ),
        (
            with(json!({"customer": customer, "plan": "pro", "status": "canceled"})),
            vec![status()],
        ),
        (
            with(json!({"customer": customer, "plan": "pro", "status": "paused"})),
            vec![status()],
        ),
        (
            with(json!({"customer": NONE, "plan": "pro"})),
            vec![no_such_customer(NONE)],
        ),
        (
            with(json!({"customer": gone, "plan": "pro"})),
            vec![no_such_customer(gone)],
        ),
        (
            with(json!({"customer": customer, "plan": "pro", "quantity": 2})),
            vec![extra_field("quantity")],
        ),
    ]
}

/// POSTs every case to `resource` in every profile, each a 422 listing
/// exactly its problems, and checks that none of them stored anything.
async fn assert_each_body_is_a_422(rest: &Rest, resource: &str, cases: &[Case]) {
    for (base, items) in PROFILES {
        let path = format!("{base}/{resource}");
        for (body, want) in cases {
            let reply = rest.post_raw(&path, body, JSON).await;
            assert_eq!(reply.status, 422, "{path} {body}: {}", reply.body);
            assert_eq!(
                sorted(reply.body),
                sorted(json!({ "detail": want })),
                "{path} {body}"
            );
        }
        // Nothing was stored by the failed calls.
        let listed = rest.ok(&path).await;
        assert_eq!(ids(&listed, items), Vec::<String>::new(), "{path}");
    }
}

/// Every rule on a payment body, in every profile.
#[tokio::test]
async fn payment_bodies_break_each_rule_with_a_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = app.rest();
    let (_, gone) = customer_and_gone(&rest).await;
    let mut cases = payment_shape_cases();
    cases.extend(payment_value_cases(&gone));
    cases.extend(amount_cases());
    cases.extend(metadata_cases(json!({"amount": 100, "currency": "usd"})));
    assert_each_body_is_a_422(&rest, "payments", &cases).await;
}

/// Every rule on a subscription body, in every profile.
#[tokio::test]
async fn subscription_bodies_break_each_rule_with_a_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = app.rest();
    let (customer, gone) = customer_and_gone(&rest).await;
    let mut cases = subscription_cases(&customer, &gone);
    cases.extend(metadata_cases(json!({"customer": customer, "plan": "pro"})));
    assert_each_body_is_a_422(&rest, "subscriptions", &cases).await;
}

#[tokio::test]
async fn the_largest_int64_amount_is_accepted() {
    let app = spawn_app(Backend::Sqlite).await;
    let max = app
        .rest()
        .post_raw(
            "/v1/payments",
            r#"{"amount": 9223372036854775807, "currency": "usd"}"#,
            JSON,
        )
        .await;
    assert_eq!(max.status, 200, "{}", max.body);
    assert_eq!(max.body["amount"], i64::MAX);
}

/// A problem with the query parameter `name`.
fn q(name: &str, msg: &str, kind: &str) -> Value {
    problem(&["query", name], msg, kind)
}

fn extra(name: &str) -> Value {
    q(name, "extra fields not permitted", "value_error.extra")
}

/// What every list of `base` refuses in its page size and unknown parameters.
fn page_size_cases(base: &str) -> Vec<Case> {
    let max = if base == "/epoch/v1" { 1000 } else { 100 };
    vec![
        (
            "limit=0".to_owned(),
            vec![q(
                "limit",
                "ensure this value is greater than or equal to 1",
                "value_error.number.not_ge",
            )],
        ),
        (
            format!("limit={}", max + 1),
            vec![q(
                "limit",
                &format!("ensure this value is less than or equal to {max}"),
                "value_error.number.not_le",
            )],
        ),
        (
            "limit=ten".to_owned(),
            vec![q(
                "limit",
                "value is not a valid integer",
                "type_error.integer",
            )],
        ),
        (
            "filters=%7B%7D&include[]=x".to_owned(),
            vec![extra("filters"), extra("include[]")],
        ),
    ]
}

/// What `list` in `base` refuses in its offset or cursors.
fn position_cases(base: &str, list: &str) -> Vec<Case> {
    if base == "/4geeks/v1" {
        return vec![
            (
                "offset=-1".to_owned(),
                vec![q(
                    "offset",
                    "ensure this value is greater than or equal to 0",
                    "value_error.number.not_ge",
                )],
            ),
            ("starting_after=x".to_owned(), vec![extra("starting_after")]),
        ];
    }
    let noun = if list.ends_with("payments") {
        "payment"
    } else {
        "subscription"
    };
    let unknown = |name: &str, id: &str| {
        q(
            name,
            &format!("no such {noun}: '{id}'"),
            "value_error.unknown_cursor",
        )
    };
    vec![
        (
            "starting_after=a&ending_before=b".to_owned(),
            vec![q(
                "ending_before",
                "starting_after and ending_before are mutually exclusive",
                "value_error.mutually_exclusive",
            )],
        ),
        (
            "starting_after=nope_1".to_owned(),
            vec![unknown("starting_after", "nope_1")],
        ),
        (
            "ending_before=nope_2".to_owned(),
            vec![unknown("ending_before", "nope_2")],
        ),
        ("offset=1".to_owned(), vec![extra("offset")]),
    ]
}

/// What `list` refuses in its filters.
fn filter_cases(list: &str, customer: &str) -> Vec<Case> {
    let statuses = "value is not a valid enumeration member; permitted: 'active', 'trialing', 'past_due', 'canceled'";
    let mut cases = if list.ends_with("subscriptions") {
        vec![
            (
                "status=paused".to_owned(),
                vec![q("status", statuses, "type_error.enum")],
            ),
            (
                "status=Active".to_owned(),
                vec![q("status", statuses, "type_error.enum")],
            ),
        ]
    } else {
        vec![("status=succeeded".to_owned(), vec![extra("status")])]
    };
    if list.contains("/customers/") {
        cases.push((format!("customer={customer}"), vec![extra("customer")]));
    }
    cases
}

/// Every rule on a payment or subscription list, in every profile.
#[tokio::test]
async fn billing_lists_break_each_rule_with_a_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = app.rest();
    let customer = payer(&rest).await;
    for (base, _) in PROFILES {
        let lists = [
            format!("{base}/payments"),
            format!("{base}/subscriptions"),
            format!("{base}/customers/{customer}/payments"),
            format!("{base}/customers/{customer}/subscriptions"),
        ];
        for list in &lists {
            let mut cases = page_size_cases(base);
            cases.extend(position_cases(base, list));
            cases.extend(filter_cases(list, &customer));
            for (query, want) in cases {
                let path = format!("{list}?{query}");
                let reply = rest.get(&path).await;
                assert_eq!(reply.status, 422, "{path}: {}", reply.body);
                assert_eq!(reply.body, json!({ "detail": want }), "{path}");
            }
        }
    }
}

#[tokio::test]
async fn a_payment_id_is_no_subscription_cursor() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = app.rest();
    let customer = payer(&rest).await;
    let payment = rest
        .create(
            "/v1/payments",
            json!({"customer": customer, "amount": 5, "currency": "usd"}),
        )
        .await;
    for (base, _) in PROFILES {
        let reply = rest
            .get(&format!(
                "{base}/subscriptions?limit=1&ending_before={payment}"
            ))
            .await;
        if base != "/4geeks/v1" {
            assert_eq!(
                reply.body,
                json!({"detail": [q("ending_before", &format!("no such subscription: '{payment}'"), "value_error.unknown_cursor")]})
            );
        }
    }
}

#[tokio::test]
async fn unknown_billing_objects_are_404s() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = app.rest();
    for (base, _) in PROFILES {
        for (path, message) in [
            (
                format!("{base}/payments/pay_000000000000000000000000"),
                "no such payment: 'pay_000000000000000000000000'",
            ),
            (
                format!("{base}/subscriptions/sub_000000000000000000000000"),
                "no such subscription: 'sub_000000000000000000000000'",
            ),
            (
                format!("{base}/customers/cus_000000000000000000000000/payments"),
                "no such customer: 'cus_000000000000000000000000'",
            ),
            (
                format!(
                    "{base}/customers/cus_000000000000000000000000/subscriptions?status=active"
                ),
                "no such customer: 'cus_000000000000000000000000'",
            ),
        ] {
            let reply = rest.get(&path).await;
            assert_eq!(reply.status, 404, "{path}");
            assert_eq!(
                reply.body,
                json!({"error": {"type": "not_found", "message": message}})
            );
        }
    }
}

/// NUL characters, which no database here stores, are 422s in bodies and
/// queries and unknown ids in paths, through every billing route.
async fn nul_characters_are_422s_or_unknown_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let customer = payer(&rest).await;
    let nul = |loc: &[&str]| {
        problem(
            loc,
            "must not contain NUL characters",
            "value_error.invalid_value",
        )
    };
    let payment = rest
        .post(
            "/v1/payments",
            json!({"customer": "cus_\u{0}", "amount": 1, "currency": "usd", "description": "a\u{0}b", "metadata": {"k": "\u{0}"}}),
        )
        .await;
    assert_eq!(payment.status, 422);
    assert_eq!(
        sorted(payment.body),
        sorted(
            json!({"detail": [nul(&["body", "customer"]), nul(&["body", "description"]), nul(&["body", "metadata", "k"])]})
        )
    );
    let subscription = rest
        .post(
            "/epoch/v1/subscriptions",
            json!({"customer": customer, "plan": "p\u{0}"}),
        )
        .await;
    assert_eq!(
        subscription.body,
        json!({"detail": [nul(&["body", "plan"])]})
    );
    for (path, loc) in [
        ("/v1/payments?customer=%00", "customer"),
        ("/4geeks/v1/subscriptions?customer=a%00", "customer"),
        (
            "/epoch/v1/subscriptions?starting_after=%00",
            "starting_after",
        ),
    ] {
        let reply = rest.get(path).await;
        assert_eq!(reply.status, 422, "{path}: {}", reply.body);
        assert_eq!(
            reply.body,
            json!({"detail": [nul(&["query", loc])]}),
            "{path}"
        );
    }
    let list = format!("/v1/customers/{customer}/payments?ending_before=%00");
    assert_eq!(
        rest.get(&list).await.body,
        json!({"detail": [nul(&["query", "ending_before"])]})
    );
    for path in [
        "/v1/payments/pay_%00".to_owned(),
        "/4geeks/v1/subscriptions/sub_%00".to_owned(),
        format!("/epoch/v1/customers/{customer}%00/subscriptions"),
    ] {
        let reply = rest.get(&path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
        assert_eq!(reply.body["error"]["type"], "not_found");
    }
    let cancel = rest
        .post("/v1/subscriptions/sub_%00/cancel", json!({}))
        .await;
    assert_eq!(cancel.status, 404);
}

backend_tests!(nul_characters_are_422s_or_unknown_ids);
