//! Payments and subscriptions through the gateway, in every profile: the
//! objects as each profile writes them, cancelling, what deleting a customer
//! does, and idempotent creates. Their lists are in `gateway_billing_lists`,
//! their rules in `gateway_billing_validation`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, Rest, ids, is_iso_second, is_millis, send, spawn_app};

/// The three profiles: base path and the key of the list's objects.
pub const PROFILES: [(&str, &str); 3] = [
    ("/v1", "data"),
    ("/4geeks/v1", "items"),
    ("/epoch/v1", "data"),
];

/// How a profile writes times.
pub fn time_check(base: &str) -> fn(&Value) -> bool {
    if base == "/epoch/v1" {
        is_millis
    } else {
        is_iso_second
    }
}

/// `object` without `fields`, after checking that they are set.
pub fn without(mut object: Value, fields: &[&str]) -> Value {
    for field in fields {
        let removed = object.as_object_mut().unwrap().remove(*field);
        assert!(removed.is_some(), "{field} in {object}");
    }
    object
}

/// A new customer to pay and subscribe, created through `/v1`.
pub async fn payer(rest: &Rest) -> String {
    rest.create("/v1/customers", json!({"email": "payer@example.com"}))
        .await
}

/// Both sub-resource lists of `customer` answer 404, as for an id that never existed.
pub async fn assert_customer_lists_are_404(rest: &Rest, base: &str, customer: &str) {
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

async fn payments_and_subscriptions_are_written_in_each_profiles_style(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let customer = payer(&rest).await;
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

async fn cancelling_twice_is_a_conflict_that_keeps_canceled_at(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let customer = payer(&rest).await;
    for (base, _) in PROFILES {
        let sub = rest
            .create(
                &format!("{base}/subscriptions"),
                json!({"customer": customer, "plan": "pro", "status": "past_due"}),
            )
            .await;
        let cancel = format!("{base}/subscriptions/{sub}/cancel");
        // No body at all, as `curl -X POST` sends it.
        let canceled = send(rest.request(Method::POST, &cancel)).await;
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
    let rest = app.rest();
    for (base, items) in PROFILES {
        let customer = rest
            .create(
                &format!("{base}/customers"),
                json!({"email": "leaving@example.com"}),
            )
            .await;
        let bystander = payer(&rest).await;
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
    cancelling_twice_is_a_conflict_that_keeps_canceled_at,
    deleting_a_customer_cancels_its_subscriptions_and_detaches_its_payments,
);

#[tokio::test]
async fn billing_creates_honour_idempotency_keys() {
    let app = spawn_app(Backend::Sqlite).await;
    let rest = app.rest();
    let customer = payer(&rest).await;
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
        let url = format!("{base}/{path}");
        let create = |body: &Value| {
            send(
                app.rest()
                    .x_api_key()
                    .request(Method::POST, &url)
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
        let listed = rest.ok(&url).await;
        assert_eq!(ids(&listed, "data"), [first.body["id"].as_str().unwrap()]);
    }
}
