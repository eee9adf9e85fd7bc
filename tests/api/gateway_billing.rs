//! Payments and subscriptions through the gateway, in every profile: the
//! objects as each profile writes them, a customer's sub-resource lists
//! (only its objects, paged, isolated per account and mode, 404 once it is
//! gone), cancelling, what deleting a customer does, and every rule as a 422.

use customerd::auth::Mode;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::gateway_lists::walk;
use crate::helpers::{Backend, Reply, TestApp, http_client, send, spawn_app};

/// The three profiles: base path and the key of the list's objects.
const PROFILES: [(&str, &str); 3] = [
    ("/v1", "data"),
    ("/4geeks/v1", "items"),
    ("/epoch/v1", "data"),
];

/// Calls the gateway with one key.
struct Rest<'a> {
    app: &'a TestApp,
    key: String,
}

impl<'a> Rest<'a> {
    fn new(app: &'a TestApp, key: &str) -> Self {
        Self {
            app,
            key: key.to_owned(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<String>) -> Reply {
        let mut request = http_client()
            .request(
                method.parse().unwrap(),
                format!("{}{path}", self.app.http_url()),
            )
            .header("Authorization", format!("Bearer {}", self.key));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        send(request).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body.to_string())).await
    }

    async fn post_raw(&self, path: &str, body: &str) -> Reply {
        self.call("POST", path, Some(body.to_owned())).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None).await
    }

    /// POSTs `body`, expecting 200, and returns the object's id.
    async fn create(&self, path: &str, body: Value) -> String {
        let reply = self.post(path, body).await;
        assert_eq!(reply.status, 200, "POST {path}: {}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    async fn customer(&self) -> String {
        self.create("/v1/customers", json!({"email": "payer@example.com"}))
            .await
    }

    /// GETs `path`, expecting 200.
    async fn ok(&self, path: &str) -> Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        reply.body
    }
}

fn ids(list: &Value, items: &str) -> Vec<String> {
    list[items]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn is_iso_second(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let b = s.as_bytes();
        s.len() == 20 && b[10] == b'T' && b[19] == b'Z'
    })
}

fn is_millis(v: &Value) -> bool {
    v.as_i64().is_some_and(|ms| ms > 1_600_000_000_000)
}

/// How a profile writes times.
fn time_check(base: &str) -> fn(&Value) -> bool {
    if base == "/epoch/v1" {
        is_millis
    } else {
        is_iso_second
    }
}

/// `object` without `fields`, after checking that they are set.
fn without(mut object: Value, fields: &[&str]) -> Value {
    for field in fields {
        let removed = object.as_object_mut().unwrap().remove(*field);
        assert!(removed.is_some(), "{field} in {object}");
    }
    object
}

async fn payments_and_subscriptions_are_written_in_each_profiles_style(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = Rest::new(&app, &app.key);
    let customer = rest.customer().await;
    for (base, _) in PROFILES {
        let times = time_check(base);
        let created = rest
            .post(
                &format!("{base}/payments"),
                json!({"customer": customer, "amount": 2500, "currency": "GHS", "description": "order 7", "metadata": {"order": "7"}}),
            )
            .await;
        assert_eq!(created.status, 200, "{base}: {}", created.body);
        assert_eq!(created.header("content-type"), Some("application/json"));
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("pay_") && id.len() == 28, "{id}");
        assert!(times(&created.body["created_at"]), "{}", created.body);
        assert_eq!(
            without(created.body.clone(), &["id", "created_at"]),
            json!({"object": "payment", "customer": customer, "amount": 2500, "currency": "ghs", "status": "succeeded", "description": "order 7", "metadata": {"order": "7"}, "live": false})
        );
        assert_eq!(
            rest.ok(&format!("{base}/payments/{id}")).await,
            created.body
        );
        let anonymous = rest
            .post(
                &format!("{base}/payments"),
                json!({"amount": 1, "currency": "usd", "status": "pending", "customer": null, "description": null, "metadata": null}),
            )
            .await;
        assert_eq!(
            without(anonymous.body, &["id", "created_at"]),
            json!({"object": "payment", "customer": null, "amount": 1, "currency": "usd", "status": "pending", "description": null, "metadata": {}, "live": false})
        );

        let subscribed = rest
            .post(
                &format!("{base}/subscriptions"),
                json!({"customer": customer, "plan": "pro", "status": "trialing", "metadata": {"seats": "3"}}),
            )
            .await;
        assert_eq!(subscribed.status, 200, "{base}: {}", subscribed.body);
        let sub = subscribed.body["id"].as_str().unwrap().to_owned();
        assert!(sub.starts_with("sub_") && sub.len() == 28, "{sub}");
        assert!(times(&subscribed.body["created_at"]));
        assert_eq!(
            without(subscribed.body.clone(), &["id", "created_at"]),
            json!({"object": "subscription", "customer": customer, "plan": "pro", "status": "trialing", "metadata": {"seats": "3"}, "live": false, "canceled_at": null})
        );
        assert_eq!(
            rest.ok(&format!("{base}/subscriptions/{sub}")).await,
            subscribed.body
        );
        let plain = rest
            .post(
                &format!("{base}/subscriptions"),
                json!({"customer": customer, "plan": "basic"}),
            )
            .await;
        assert_eq!(plain.body["status"], "active");
        assert_eq!(plain.body["metadata"], json!({}));
    }
}

async fn customer_lists_hold_only_that_customers_objects_and_paginate(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = Rest::new(&app, &app.key);
    let mine = rest.customer().await;
    let other = rest.customer().await;
    let mut payments = Vec::new();
    let mut subscriptions = Vec::new();
    for i in 1..=5 {
        payments.push(
            rest.create(
                "/v1/payments",
                json!({"customer": mine, "amount": i * 100, "currency": "usd"}),
            )
            .await,
        );
        rest.create(
            "/v1/payments",
            json!({"customer": other, "amount": i, "currency": "usd"}),
        )
        .await;
        let status = if i % 2 == 0 { "trialing" } else { "active" };
        subscriptions.push(
            rest.create(
                "/v1/subscriptions",
                json!({"customer": mine, "plan": format!("plan {i}"), "status": status}),
            )
            .await,
        );
        rest.create(
            "/v1/subscriptions",
            json!({"customer": other, "plan": "other"}),
        )
        .await;
    }
    rest.create("/v1/payments", json!({"amount": 7, "currency": "eur"}))
        .await;
    payments.reverse();
    subscriptions.reverse();

    for (base, items) in PROFILES {
        let my_payments = format!("{base}/customers/{mine}/payments");
        let my_subscriptions = format!("{base}/customers/{mine}/subscriptions");
        let all = rest.ok(&my_payments).await;
        assert_eq!(ids(&all, items), payments, "{base}");
        assert!(
            all[items]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["customer"] == mine.as_str())
        );
        let subs = rest.ok(&my_subscriptions).await;
        assert_eq!(ids(&subs, items), subscriptions, "{base}");
        // The envelope is the profile's own, the url the path asked for.
        let envelope = without(all, &[items]);
        let expected = match base {
            "/v1" => json!({"object": "list", "url": my_payments, "has_more": false}),
            "/4geeks/v1" => json!({"total_items": 5, "limit": 10, "offset": 0}),
            _ => json!({"object": "list", "has_more": false}),
        };
        assert_eq!(envelope, expected, "{base}");
        if base == "/v1" {
            assert_eq!(subs["url"], my_subscriptions);
            assert_eq!(
                rest.ok("/v1/payments").await["url"],
                "/v1/payments",
                "the top-level list's url"
            );
        }

        // Paging in the profile's own parameters.
        if base == "/4geeks/v1" {
            let page = rest.ok(&format!("{my_payments}?limit=2&offset=2")).await;
            assert_eq!(ids(&page, items), payments[2..4].to_vec());
            assert_eq!(
                without(page, &[items]),
                json!({"total_items": 5, "limit": 2, "offset": 2})
            );
            let page = rest
                .ok(&format!("{my_subscriptions}?limit=2&offset=4"))
                .await;
            assert_eq!(ids(&page, items), subscriptions[4..].to_vec());
            assert_eq!(page["total_items"], 5);
        } else {
            walk(&app, &my_payments, 2, &payments).await;
            walk(&app, &my_subscriptions, 2, &subscriptions).await;
        }

        // The top-level lists filter the same way.
        let filtered = rest.ok(&format!("{base}/payments?customer={mine}")).await;
        assert_eq!(ids(&filtered, items), payments, "{base}");
        assert_eq!(
            ids(&rest.ok(&format!("{base}/payments?limit=100")).await, items).len(),
            11
        );
        let trialing = rest
            .ok(&format!(
                "{base}/subscriptions?customer={mine}&status=trialing"
            ))
            .await;
        assert_eq!(
            ids(&trialing, items),
            [subscriptions[1].clone(), subscriptions[3].clone()],
            "{base}"
        );
        let trialing = rest
            .ok(&format!("{my_subscriptions}?status=trialing"))
            .await;
        assert_eq!(
            ids(&trialing, items),
            [subscriptions[1].clone(), subscriptions[3].clone()],
            "{base}"
        );
        assert_eq!(
            ids(
                &rest
                    .ok(&format!("{base}/subscriptions?status=canceled"))
                    .await,
                items
            ),
            Vec::<String>::new()
        );
    }
}

/// Both sub-resource lists of `customer` answer 404, as for an id that never existed.
async fn assert_customer_lists_are_404(rest: &Rest<'_>, base: &str, customer: &str) {
    for list in ["payments", "subscriptions"] {
        let path = format!("{base}/customers/{customer}/{list}");
        let reply = rest.get(&path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(
            reply.body,
            json!({"error": {"type": "not_found", "message": format!("no such customer: '{customer}'")}})
        );
    }
}

async fn customer_lists_are_isolated_per_account_and_mode(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = Rest::new(&app, &app.key);
    let customer = rest.customer().await;
    let payment = rest
        .create(
            "/v1/payments",
            json!({"customer": customer, "amount": 500, "currency": "usd"}),
        )
        .await;
    let sub = rest
        .create(
            "/v1/subscriptions",
            json!({"customer": customer, "plan": "pro"}),
        )
        .await;
    for other_key in [
        app.key_for("globex", Mode::Test).await,
        app.key_for("acme", Mode::Live).await,
    ] {
        let other = Rest::new(&app, &other_key);
        let own = other.customer().await;
        let own_payment = other
            .create(
                "/v1/payments",
                json!({"customer": own, "amount": 9, "currency": "usd"}),
            )
            .await;
        for (base, items) in PROFILES {
            assert_customer_lists_are_404(&other, base, &customer).await;
            for (path, noun, id) in [
                (format!("{base}/payments/{payment}"), "payment", &payment),
                (format!("{base}/subscriptions/{sub}"), "subscription", &sub),
                (
                    format!("{base}/subscriptions/{sub}/cancel"),
                    "subscription",
                    &sub,
                ),
            ] {
                let reply = if path.ends_with("/cancel") {
                    other.post(&path, json!({})).await
                } else {
                    other.get(&path).await
                };
                assert_eq!(reply.status, 404, "{path}");
                assert_eq!(
                    reply.body,
                    json!({"error": {"type": "not_found", "message": format!("no such {noun}: '{id}'")}})
                );
            }
            // Their lists hold only their own objects, even filtered by our customer.
            let listed = other.ok(&format!("{base}/payments")).await;
            assert_eq!(ids(&listed, items), std::slice::from_ref(&own_payment));
            let filtered = other
                .ok(&format!("{base}/payments?customer={customer}"))
                .await;
            assert_eq!(ids(&filtered, items), Vec::<String>::new());
            let subs = other.ok(&format!("{base}/subscriptions")).await;
            assert_eq!(ids(&subs, items), Vec::<String>::new());
            assert_eq!(
                ids(
                    &other.ok(&format!("{base}/customers/{own}/payments")).await,
                    items
                ),
                std::slice::from_ref(&own_payment)
            );
            // Our customer cannot be paid or subscribed with their key.
            for (path, body) in [
                (
                    format!("{base}/payments"),
                    json!({"customer": customer, "amount": 1, "currency": "usd"}),
                ),
                (
                    format!("{base}/subscriptions"),
                    json!({"customer": customer, "plan": "pro"}),
                ),
            ] {
                let reply = other.post(&path, body).await;
                assert_eq!(reply.status, 422, "{path}");
                assert_eq!(
                    reply.body,
                    json!({"detail": [{"loc": ["body", "customer"], "msg": format!("no such customer: '{customer}'"), "type": "value_error.invalid_value"}]})
                );
            }
        }
    }
    // Nothing of ours changed.
    let subscription = rest.ok(&format!("/v1/subscriptions/{sub}")).await;
    assert_eq!(subscription["status"], "active");
}

async fn cancelling_twice_is_a_conflict_that_keeps_canceled_at(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = Rest::new(&app, &app.key);
    let customer = rest.customer().await;
    for (base, _) in PROFILES {
        let sub = rest
            .create(
                &format!("{base}/subscriptions"),
                json!({"customer": customer, "plan": "pro", "status": "past_due"}),
            )
            .await;
        let cancel = format!("{base}/subscriptions/{sub}/cancel");
        // No body at all, as `curl -X POST` sends it.
        let canceled = rest.call("POST", &cancel, None).await;
        assert_eq!(canceled.status, 200, "{base}: {}", canceled.body);
        assert_eq!(canceled.body["id"], sub.as_str());
        assert_eq!(canceled.body["status"], "canceled");
        assert!(
            time_check(base)(&canceled.body["canceled_at"]),
            "{}",
            canceled.body
        );

        let again = rest.post(&cancel, json!({})).await;
        assert_eq!(again.status, 409, "{base}");
        assert_eq!(again.header("content-type"), Some("application/json"));
        assert_eq!(
            again.body,
            json!({"error": {"type": "conflict", "message": format!("subscription '{sub}' is already canceled")}})
        );
        let fetched = rest.ok(&format!("{base}/subscriptions/{sub}")).await;
        assert_eq!(fetched, canceled.body, "{base}: canceled_at unchanged");

        let with_fields = rest.post(&cancel, json!({"at_period_end": true})).await;
        assert_eq!(with_fields.status, 422);
        assert_eq!(
            with_fields.body,
            json!({"detail": [{"loc": ["body", "at_period_end"], "msg": "extra fields not permitted", "type": "value_error.extra"}]})
        );
        let missing = rest
            .post(
                &format!("{base}/subscriptions/sub_000000000000000000000000/cancel"),
                json!({}),
            )
            .await;
        assert_eq!(missing.status, 404);
        assert_eq!(
            missing.body,
            json!({"error": {"type": "not_found", "message": "no such subscription: 'sub_000000000000000000000000'"}})
        );
    }
}

async fn deleting_a_customer_cancels_its_subscriptions_and_detaches_its_payments(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = Rest::new(&app, &app.key);
    for (base, items) in PROFILES {
        let customer = rest
            .create(
                &format!("{base}/customers"),
                json!({"email": "leaving@example.com"}),
            )
            .await;
        let bystander = rest.customer().await;
        let kept = rest
            .create(
                &format!("{base}/payments"),
                json!({"customer": bystander, "amount": 3, "currency": "usd"}),
            )
            .await;
        let mut payments = Vec::new();
        for amount in [100, 200] {
            payments.push(
                rest.create(
                    &format!("{base}/payments"),
                    json!({"customer": customer, "amount": amount, "currency": "usd"}),
                )
                .await,
            );
        }
        let mut live = Vec::new();
        for status in ["active", "trialing", "past_due"] {
            live.push(
                rest.create(
                    &format!("{base}/subscriptions"),
                    json!({"customer": customer, "plan": "pro", "status": status}),
                )
                .await,
            );
        }
        let earlier = rest
            .create(
                &format!("{base}/subscriptions"),
                json!({"customer": customer, "plan": "old"}),
            )
            .await;
        let earlier_canceled = rest
            .post(&format!("{base}/subscriptions/{earlier}/cancel"), json!({}))
            .await
            .body;

        let deleted = rest.delete(&format!("{base}/customers/{customer}")).await;
        assert_eq!(deleted.status, 200, "{base}: {}", deleted.body);

        for payment in &payments {
            let p = rest.ok(&format!("{base}/payments/{payment}")).await;
            assert_eq!(p["customer"], Value::Null, "{base}: {p}");
        }
        assert_eq!(
            rest.ok(&format!("{base}/payments/{kept}")).await["customer"],
            bystander.as_str()
        );
        for sub in &live {
            let s = rest.ok(&format!("{base}/subscriptions/{sub}")).await;
            assert_eq!(s["status"], "canceled", "{base}: {s}");
            assert_eq!(s["customer"], customer.as_str(), "the id is kept");
            assert!(time_check(base)(&s["canceled_at"]), "{s}");
        }
        assert_eq!(
            rest.ok(&format!("{base}/subscriptions/{earlier}")).await,
            earlier_canceled,
            "{base}: an earlier cancellation keeps its canceled_at"
        );

        // The customer is gone: its lists are 404s, its payments no longer match it.
        assert_customer_lists_are_404(&rest, base, &customer).await;
        let by_customer = rest
            .ok(&format!("{base}/payments?customer={customer}"))
            .await;
        assert_eq!(ids(&by_customer, items), Vec::<String>::new());
        let subs = rest
            .ok(&format!(
                "{base}/subscriptions?customer={customer}&status=canceled"
            ))
            .await;
        assert_eq!(ids(&subs, items).len(), 4, "{base}");
        // New objects for it are refused.
        let reply = rest
            .post(
                &format!("{base}/subscriptions"),
                json!({"customer": customer, "plan": "pro"}),
            )
            .await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "customer"]));
    }
}

backend_tests!(
    payments_and_subscriptions_are_written_in_each_profiles_style,
    customer_lists_hold_only_that_customers_objects_and_paginate,
    customer_lists_are_isolated_per_account_and_mode,
    cancelling_twice_is_a_conflict_that_keeps_canceled_at,
    deleting_a_customer_cancels_its_subscriptions_and_detaches_its_payments,
    nul_characters_are_422s_or_unknown_ids,
);

fn problem(loc: &[&str], msg: &str, kind: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
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

/// Every rule on a payment or subscription body, in every profile.
#[tokio::test]
async fn billing_bodies_break_each_rule_with_a_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = Rest::new(&app, &app.key);
    let customer = rest.customer().await;
    let gone = rest.customer().await;
    assert_eq!(
        rest.delete(&format!("/v1/customers/{gone}")).await.status,
        200
    );
    let none = "cus_000000000000000000000000";
    let amount = |msg: &str, kind: &str| problem(&["body", "amount"], msg, kind);
    let not_integer = amount("value is not a valid integer", "type_error.integer");
    let too_big = amount(
        "ensure this value is less than or equal to 9223372036854775807",
        "value_error.number.not_le",
    );
    let not_positive = amount("must be greater than 0", "value_error.out_of_range");
    let metadata_cases = |base: Value| -> Vec<(String, Vec<Value>)> {
        let with = |metadata: Value| {
            let mut body = base.clone();
            body["metadata"] = metadata;
            body.to_string()
        };
        vec![
            (
                with(too_many_keys()),
                vec![problem(
                    &["body", "metadata"],
                    "ensure this value has at most 50 items",
                    "value_error.dict.max_items",
                )],
            ),
            (
                with(json!({"k".repeat(41): "v"})),
                vec![problem(
                    &["body", "metadata", &"k".repeat(41)],
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
                vec![problem(
                    &["body", "metadata"],
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
                vec![problem(
                    &["body", "metadata"],
                    "value is not a valid dict",
                    "type_error.dict",
                )],
            ),
        ]
    };

    let mut payment_cases: Vec<(String, Vec<Value>)> = vec![
        (
            "{}".into(),
            vec![
                amount("field required", "value_error.missing"),
                problem(
                    &["body", "currency"],
                    "field required",
                    "value_error.missing",
                ),
            ],
        ),
        (
            r#"{"amount": null, "currency": null}"#.into(),
            vec![
                amount("field required", "value_error.missing"),
                problem(
                    &["body", "currency"],
                    "field required",
                    "value_error.missing",
                ),
            ],
        ),
        (
            r#"{"amount": 100, "currency": "usdd"}"#.into(),
            vec![problem(
                &["body", "currency"],
                "is not an ISO 4217 currency code",
                "value_error.invalid_value",
            )],
        ),
        (
            r#"{"amount": 100, "currency": "XYZ"}"#.into(),
            vec![problem(
                &["body", "currency"],
                "is not an ISO 4217 currency code",
                "value_error.invalid_value",
            )],
        ),
        (
            r#"{"amount": 100, "currency": ""}"#.into(),
            vec![problem(
                &["body", "currency"],
                "field required",
                "value_error.missing",
            )],
        ),
        (
            r#"{"amount": 100, "currency": 840}"#.into(),
            vec![problem(
                &["body", "currency"],
                "str type expected",
                "type_error.str",
            )],
        ),
        (
            r#"{"amount": 0, "currency": "xyz", "description": 5}"#.into(),
            // Shape problems first: the service is not asked while the body is mistyped.
            vec![problem(
                &["body", "description"],
                "str type expected",
                "type_error.str",
            )],
        ),
        (
            r#"{"amount": 0, "currency": "xyz"}"#.into(),
            vec![
                not_positive.clone(),
                problem(
                    &["body", "currency"],
                    "is not an ISO 4217 currency code",
                    "value_error.invalid_value",
                ),
            ],
        ),
        (
            r#"{"amount": 100, "currency": "usd", "status": "paid"}"#.into(),
            vec![problem(
                &["body", "status"],
                "value is not a valid enumeration member; permitted: 'pending', 'succeeded', 'failed', 'refunded'",
                "type_error.enum",
            )],
        ),
        (
            r#"{"amount": 100, "currency": "usd", "status": "SUCCEEDED"}"#.into(),
            vec![problem(
                &["body", "status"],
                "value is not a valid enumeration member; permitted: 'pending', 'succeeded', 'failed', 'refunded'",
                "type_error.enum",
            )],
        ),
        (
            json!({"amount": 100, "currency": "usd", "customer": none}).to_string(),
            vec![problem(
                &["body", "customer"],
                &format!("no such customer: '{none}'"),
                "value_error.invalid_value",
            )],
        ),
        (
            json!({"amount": 100, "currency": "usd", "customer": gone}).to_string(),
            vec![problem(
                &["body", "customer"],
                &format!("no such customer: '{gone}'"),
                "value_error.invalid_value",
            )],
        ),
        (
            r#"{"amount": 100, "currency": "usd", "customer": ""}"#.into(),
            vec![problem(
                &["body", "customer"],
                "must not be empty",
                "value_error.invalid_value",
            )],
        ),
        (
            json!({"amount": 100, "currency": "usd", "description": "d".repeat(1001)}).to_string(),
            vec![problem(
                &["body", "description"],
                "ensure this value has at most 1000 characters",
                "value_error.any_str.max_length",
            )],
        ),
        (
            r#"{"amount": 100, "currency": "usd", "tip": 5, "capture": true}"#.into(),
            vec![
                problem(
                    &["body", "capture"],
                    "extra fields not permitted",
                    "value_error.extra",
                ),
                problem(
                    &["body", "tip"],
                    "extra fields not permitted",
                    "value_error.extra",
                ),
            ],
        ),
        (
            "[1]".into(),
            vec![problem(
                &["body"],
                "value is not a valid dict",
                "type_error.dict",
            )],
        ),
    ];
    let amounts = [
        ("0", not_positive.clone()),
        ("-250", not_positive),
        ("9223372036854775808", too_big.clone()),
        ("100000000000000000000000", too_big.clone()),
        ("1e30", too_big),
        (
            "-9223372036854775809",
            amount(
                "ensure this value is greater than or equal to -9223372036854775808",
                "value_error.number.not_ge",
            ),
        ),
        ("10.5", not_integer.clone()),
        ("100.0", not_integer.clone()),
        ("\"100\"", not_integer.clone()),
        ("true", not_integer),
    ];
    payment_cases.extend(amounts.map(|(amount, problem)| {
        (
            format!(r#"{{"amount": {amount}, "currency": "usd"}}"#),
            vec![problem],
        )
    }));
    payment_cases.extend(metadata_cases(json!({"amount": 100, "currency": "usd"})));

    let enumeration =
        "value is not a valid enumeration member; permitted: 'active', 'trialing', 'past_due'";
    let mut subscription_cases: Vec<(String, Vec<Value>)> = vec![
        (
            "{}".into(),
            vec![
                problem(
                    &["body", "customer"],
                    "field required",
                    "value_error.missing",
                ),
                problem(&["body", "plan"], "field required", "value_error.missing"),
            ],
        ),
        (
            json!({"customer": customer, "plan": ""}).to_string(),
            vec![problem(
                &["body", "plan"],
                "field required",
                "value_error.missing",
            )],
        ),
        (
            json!({"customer": "", "plan": "pro"}).to_string(),
            vec![problem(
                &["body", "customer"],
                "field required",
                "value_error.missing",
            )],
        ),
        (
            json!({"customer": customer, "plan": "p".repeat(257)}).to_string(),
            vec![problem(
                &["body", "plan"],
                "ensure this value has at most 256 characters",
                "value_error.any_str.max_length",
            )],
        ),
        (
            json!({"customer": customer, "plan": 7}).to_string(),
            vec![problem(
                &["body", "plan"],
                "str type expected",
                "type_error.str",
            )],
        ),
        (
            json!({"customer": customer, "plan": "pro", "status": "canceled"}).to_string(),
            vec![problem(&["body", "status"], enumeration, "type_error.enum")],
        ),
        (
            json!({"customer": customer, "plan": "pro", "status": "paused"}).to_string(),
            vec![problem(&["body", "status"], enumeration, "type_error.enum")],
        ),
        (
            json!({"customer": none, "plan": "pro"}).to_string(),
            vec![problem(
                &["body", "customer"],
                &format!("no such customer: '{none}'"),
                "value_error.invalid_value",
            )],
        ),
        (
            json!({"customer": gone, "plan": "pro"}).to_string(),
            vec![problem(
                &["body", "customer"],
                &format!("no such customer: '{gone}'"),
                "value_error.invalid_value",
            )],
        ),
        (
            json!({"customer": customer, "plan": "pro", "quantity": 2}).to_string(),
            vec![problem(
                &["body", "quantity"],
                "extra fields not permitted",
                "value_error.extra",
            )],
        ),
    ];
    subscription_cases.extend(metadata_cases(json!({"customer": customer, "plan": "pro"})));

    for (base, items) in PROFILES {
        for (resource, cases) in [
            ("payments", &payment_cases),
            ("subscriptions", &subscription_cases),
        ] {
            let path = format!("{base}/{resource}");
            for (body, want) in cases.iter() {
                let reply = rest.post_raw(&path, body).await;
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
    // The largest int64 amount is accepted.
    let max = rest
        .post_raw(
            "/v1/payments",
            r#"{"amount": 9223372036854775807, "currency": "usd"}"#,
        )
        .await;
    assert_eq!(max.status, 200, "{}", max.body);
    assert_eq!(max.body["amount"], i64::MAX);
}

/// Every rule on a payment or subscription list, in every profile.
#[tokio::test]
async fn billing_lists_break_each_rule_with_a_422() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = Rest::new(&app, &app.key);
    let customer = rest.customer().await;
    let payment = rest
        .create(
            "/v1/payments",
            json!({"customer": customer, "amount": 5, "currency": "usd"}),
        )
        .await;
    let q = |name: &str, msg: &str, kind: &str| problem(&["query", name], msg, kind);
    let extra = |name: &str| q(name, "extra fields not permitted", "value_error.extra");
    let statuses = "value is not a valid enumeration member; permitted: 'active', 'trialing', 'past_due', 'canceled'";
    for (base, _) in PROFILES {
        let max = if base == "/epoch/v1" { 1000 } else { 100 };
        let lists = [
            format!("{base}/payments"),
            format!("{base}/subscriptions"),
            format!("{base}/customers/{customer}/payments"),
            format!("{base}/customers/{customer}/subscriptions"),
        ];
        for list in &lists {
            let mut cases = vec![
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
                    "filters=%7B%7D&expand[]=x".to_owned(),
                    vec![extra("filters"), extra("expand[]")],
                ),
            ];
            if base == "/4geeks/v1" {
                cases.push((
                    "offset=-1".to_owned(),
                    vec![q(
                        "offset",
                        "ensure this value is greater than or equal to 0",
                        "value_error.number.not_ge",
                    )],
                ));
                cases.push(("starting_after=x".to_owned(), vec![extra("starting_after")]));
            } else {
                let noun = if list.ends_with("payments") {
                    "payment"
                } else {
                    "subscription"
                };
                cases.push((
                    "starting_after=a&ending_before=b".to_owned(),
                    vec![q(
                        "ending_before",
                        "starting_after and ending_before are mutually exclusive",
                        "value_error.mutually_exclusive",
                    )],
                ));
                cases.push((
                    "starting_after=nope_1".to_owned(),
                    vec![q(
                        "starting_after",
                        &format!("no such {noun}: 'nope_1'"),
                        "value_error.unknown_cursor",
                    )],
                ));
                cases.push((
                    "ending_before=nope_2".to_owned(),
                    vec![q(
                        "ending_before",
                        &format!("no such {noun}: 'nope_2'"),
                        "value_error.unknown_cursor",
                    )],
                ));
                cases.push(("offset=1".to_owned(), vec![extra("offset")]));
            }
            if list.ends_with("subscriptions") {
                cases.push((
                    "status=paused".to_owned(),
                    vec![q("status", statuses, "type_error.enum")],
                ));
                cases.push((
                    "status=Active".to_owned(),
                    vec![q("status", statuses, "type_error.enum")],
                ));
            } else {
                cases.push(("status=succeeded".to_owned(), vec![extra("status")]));
            }
            if list.contains("/customers/") {
                cases.push((format!("customer={customer}"), vec![extra("customer")]));
            }
            for (query, want) in cases {
                let path = format!("{list}?{query}");
                let reply = rest.get(&path).await;
                assert_eq!(reply.status, 422, "{path}: {}", reply.body);
                assert_eq!(reply.body, json!({ "detail": want }), "{path}");
            }
        }
        // A payment id is no subscription cursor.
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
        // Unknown objects are 404s.
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

#[tokio::test]
async fn billing_creates_honour_idempotency_keys() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = Rest::new(&app, &app.key);
    let customer = rest.customer().await;
    for (base, path, body) in [
        (
            "/v1",
            "payments",
            json!({"customer": customer, "amount": 100, "currency": "usd"}),
        ),
        (
            "/epoch/v1",
            "subscriptions",
            json!({"customer": customer, "plan": "pro"}),
        ),
    ] {
        let url = format!("{}{base}/{path}", app.http_url());
        let create = |body: &Value| {
            send(
                http_client()
                    .post(&url)
                    .header("X-Api-Key", &app.key)
                    .header("Idempotency-Key", format!("order-{path}"))
                    .json(body),
            )
        };
        let first = create(&body).await;
        assert_eq!(first.status, 200, "{}", first.body);
        let again = create(&body).await;
        assert_eq!(again.body, first.body, "a retry returns the first response");
        let mut changed = body.clone();
        changed["metadata"] = json!({"changed": "yes"});
        let conflict = create(&changed).await;
        assert_eq!(conflict.status, 409, "{}", conflict.body);
        assert_eq!(conflict.body["error"]["type"], "conflict");
        let listed = rest.ok(&format!("{base}/{path}")).await;
        assert_eq!(ids(&listed, "data"), [first.body["id"].as_str().unwrap()]);
    }
}

/// NUL characters, which no database here stores, are 422s in bodies and
/// queries and unknown ids in paths, through every billing route.
async fn nul_characters_are_422s_or_unknown_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = Rest::new(&app, &app.key);
    let customer = rest.customer().await;
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
