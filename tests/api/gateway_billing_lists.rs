//! A customer's payment and subscription lists through the gateway, in every
//! profile: only its objects, in the profile's envelope, paged in the
//! profile's parameters, filtered like the top-level lists, and isolated per
//! account and mode.

use customerd::auth::Mode;
use serde_json::json;

use crate::backend_tests;
use crate::gateway_billing::{PROFILES, assert_customer_lists_are_404, payer, without};
use crate::gateway_lists::walk;
use crate::helpers::{Backend, Rest, ids, spawn_app};

/// Two customers of one account with five payments and five subscriptions
/// each (every second one of ours trialing), and a payment of no customer.
struct Billed {
    mine: String,
    /// Our customer's payments, newest first.
    payments: Vec<String>,
    /// Our customer's subscriptions, newest first.
    subscriptions: Vec<String>,
}

async fn bill_two_customers(rest: &Rest) -> Billed {
    let mine = payer(rest).await;
    let other = payer(rest).await;
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
    Billed {
        mine,
        payments,
        subscriptions,
    }
}

async fn customer_lists_hold_only_that_customers_objects(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let Billed {
        mine,
        payments,
        subscriptions,
    } = bill_two_customers(&rest).await;
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
    }
}

async fn customer_lists_page_in_each_profiles_parameters(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let Billed {
        mine,
        payments,
        subscriptions,
    } = bill_two_customers(&rest).await;
    for (base, items) in PROFILES {
        let my_payments = format!("{base}/customers/{mine}/payments");
        let my_subscriptions = format!("{base}/customers/{mine}/subscriptions");
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
            walk(&rest, &my_payments, 2, &payments).await;
            walk(&rest, &my_subscriptions, 2, &subscriptions).await;
        }
    }
}

async fn customer_and_top_level_lists_filter_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let Billed {
        mine,
        payments,
        subscriptions,
    } = bill_two_customers(&rest).await;
    for (base, items) in PROFILES {
        let my_subscriptions = format!("{base}/customers/{mine}/subscriptions");
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

async fn customer_lists_are_isolated_per_account_and_mode(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let customer = payer(&rest).await;
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
        let other = app.rest_with(&other_key);
        let own = payer(&other).await;
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

backend_tests!(
    customer_lists_hold_only_that_customers_objects,
    customer_lists_page_in_each_profiles_parameters,
    customer_and_top_level_lists_filter_alike,
    customer_lists_are_isolated_per_account_and_mode,
);
