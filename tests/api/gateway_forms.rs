//! Form bodies in Stripe's encoding, as the official Stripe SDKs send them,
//! on every profile and every body-taking route.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, spawn_app};

const FORM: &str = "application/x-www-form-urlencoded";

backend_tests!(
    form_bodies_create_update_and_clear_customers,
    form_bodies_create_payments_and_subscriptions,
    bad_form_bodies_are_422s_on_the_exact_field,
);

async fn form_bodies_create_update_and_clear_customers(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
        let created = rest
            .post_raw(
                &format!("{base}/customers"),
                "email=ada%40example.com&name=Ada+Lovelace&metadata[user_id]=123&metadata[plan]=gold",
                FORM,
            )
            .await;
        assert_eq!(created.status, 200, "{base}: {}", created.body);
        assert_eq!(created.body["email"], "ada@example.com");
        assert_eq!(created.body["name"], "Ada Lovelace");
        assert_eq!(
            created.body["metadata"],
            json!({"plan": "gold", "user_id": "123"})
        );
        let id = created.body["id"].as_str().unwrap();

        // The SDKs update with POST on the id; an empty value clears.
        let updated = rest
            .post_raw(
                &format!("{base}/customers/{id}"),
                "name=&phone=%2B233+24+123+4567&metadata[plan]=&metadata[tier]=2",
                FORM,
            )
            .await;
        assert_eq!(updated.status, 200, "{base}: {}", updated.body);
        assert_eq!(updated.body["name"], json!(null));
        assert_eq!(updated.body["phone"], "+233 24 123 4567");
        assert_eq!(updated.body["email"], "ada@example.com");
        assert_eq!(
            updated.body["metadata"],
            json!({"tier": "2", "user_id": "123"})
        );

        // `metadata=` clears all metadata.
        let cleared = rest
            .raw(
                Method::PATCH,
                &format!("{base}/customers/{id}"),
                "metadata=",
                FORM,
            )
            .await;
        assert_eq!(cleared.status, 200, "{base}: {}", cleared.body);
        assert_eq!(cleared.body["metadata"], json!({}));

        // A form-typed body whose text is a JSON object is read as JSON.
        let json_text = rest
            .post_raw(
                &format!("{base}/customers/{id}"),
                r#"{"description": "from curl -d"}"#,
                FORM,
            )
            .await;
        assert_eq!(json_text.status, 200, "{base}: {}", json_text.body);
        assert_eq!(json_text.body["description"], "from curl -d");
    }
}

async fn form_bodies_create_payments_and_subscriptions(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let customer = rest.create("/v1/customers", json!({"name": "Payer"})).await;
    let payment = rest
        .post_raw(
            "/v1/payments",
            &format!("amount=1000&currency=usd&customer={customer}&metadata[order]=A-1"),
            FORM,
        )
        .await;
    assert_eq!(payment.status, 200, "{}", payment.body);
    assert_eq!(payment.body["amount"], 1000);
    assert_eq!(payment.body["currency"], "usd");
    assert_eq!(payment.body["customer"], json!(customer));
    assert_eq!(payment.body["metadata"], json!({"order": "A-1"}));

    let subscription = rest
        .post_raw(
            "/epoch/v1/subscriptions",
            &format!("customer={customer}&plan=gold"),
            FORM,
        )
        .await;
    assert_eq!(subscription.status, 200, "{}", subscription.body);
    assert_eq!(subscription.body["plan"], "gold");
    assert_eq!(subscription.body["status"], "active");
    let id = subscription.body["id"].as_str().unwrap();

    // DELETE on a subscription, as the Stripe SDKs cancel, is the same as
    // POST …/cancel; a second cancel is a 409 with an error object.
    let canceled = rest.delete(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(canceled.status, 200, "{}", canceled.body);
    assert_eq!(canceled.body["status"], "canceled");
    let again = rest.delete(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body["error"]["message"].is_string(), "{}", again.body);
}

async fn bad_form_bodies_are_422s_on_the_exact_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let long_key = "k".repeat(41);
    let cases: Vec<(&str, String, serde_json::Value)> = vec![
        (
            "/v1/customers",
            "metadata[k][nested]=v".to_owned(),
            json!(["body", "metadata", "k"]),
        ),
        (
            "/v1/customers",
            format!("metadata[{long_key}]=v"),
            json!(["body", "metadata", long_key]),
        ),
        (
            "/v1/customers",
            "email=not-an-email".to_owned(),
            json!(["body", "email"]),
        ),
        (
            "/v1/customers",
            "name=a&name=b".to_owned(),
            json!(["body", "name"]),
        ),
        (
            "/v1/customers",
            "name[=x".to_owned(),
            json!(["body", "name["]),
        ),
        (
            "/v1/customers",
            "nickname=x".to_owned(),
            json!(["body", "nickname"]),
        ),
        (
            "/v1/payments",
            "amount=ten&currency=usd".to_owned(),
            json!(["body", "amount"]),
        ),
        (
            "/v1/payments",
            "amount=0&currency=usd".to_owned(),
            json!(["body", "amount"]),
        ),
        (
            "/v1/payments",
            "amount=99999999999999999999&currency=usd".to_owned(),
            json!(["body", "amount"]),
        ),
    ];
    for (path, body, loc) in cases {
        let reply = rest.post_raw(path, &body, FORM).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        let locs: Vec<&serde_json::Value> = reply.body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["loc"])
            .collect();
        assert_eq!(locs, [&loc], "{body}: {}", reply.body);
    }
}
