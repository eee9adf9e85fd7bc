//! `expand[]=customer` on payment and subscription retrieve, create and
//! list: the customer object in the profile's format where its id would be.

use customerd::proto::customers::v1 as pb;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, authed, spawn_app};

backend_tests!(
    expand_puts_the_customer_in_place_in_every_profile,
    expand_over_grpc_and_bad_expansions,
);

async fn expand_puts_the_customer_in_place_in_every_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let ada = rest
        .create(
            "/v1/customers",
            json!({"email": "ada@example.com", "name": "Ada", "metadata": {"tier": "1"}}),
        )
        .await;
    let bob = rest.create("/v1/customers", json!({"name": "Bob"})).await;
    for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
        let for_ada: Value = rest.ok(&format!("{base}/customers/{ada}")).await;
        // Create, with the expansion in the query or in the body.
        let created = rest
            .post(
                &format!("{base}/payments?expand[]=customer"),
                json!({"amount": 100, "currency": "usd", "customer": ada}),
            )
            .await;
        assert_eq!(created.status, 200, "{base}: {}", created.body);
        assert_eq!(created.body["customer"], for_ada, "{base}");
        let form = rest
            .post_raw(
                &format!("{base}/subscriptions"),
                &format!("customer={bob}&plan=gold&expand[]=customer"),
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(form.status, 200, "{base}: {}", form.body);
        assert_eq!(form.body["customer"]["name"], "Bob", "{base}");
        assert_eq!(form.body["customer"]["id"], json!(bob));

        // Retrieve: with and without.
        let id = created.body["id"].as_str().unwrap();
        let plain = rest.ok(&format!("{base}/payments/{id}")).await;
        assert_eq!(plain["customer"], json!(ada));
        let expanded = rest
            .ok(&format!("{base}/payments/{id}?expand%5B%5D=customer"))
            .await;
        assert_eq!(expanded["customer"], for_ada);
    }
    // A payment without a customer keeps null.
    let loose = rest
        .post(
            "/v1/payments?expand[]=customer",
            json!({"amount": 5, "currency": "eur"}),
        )
        .await;
    assert_eq!(loose.status, 200, "{}", loose.body);
    assert_eq!(loose.body["customer"], Value::Null);

    // Lists: every item expanded, on the collection and under a customer.
    let page = rest.ok("/v1/payments?expand[]=customer&limit=100").await;
    let customers: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["customer"])
        .collect();
    assert_eq!(customers.len(), 4);
    assert_eq!(customers[0], &Value::Null);
    assert!(customers[1..].iter().all(|c| c["id"] == json!(ada)));
    let epoch = rest
        .ok(&format!(
            "/epoch/v1/customers/{bob}/subscriptions?expand[]=customer"
        ))
        .await;
    assert_eq!(epoch["data"].as_array().unwrap().len(), 3);
    assert!(epoch["data"][0]["customer"]["created_at"].is_i64());
    let four = rest.ok("/4geeks/v1/subscriptions?expand[0]=customer").await;
    assert!(four["items"][0]["customer"]["created_at"].is_string());

    // A subscription keeps its customer's id after the customer is deleted;
    // the expansion has nothing to put in its place.
    assert_eq!(
        rest.delete(&format!("/v1/customers/{bob}")).await.status,
        200
    );
    let kept = rest.ok("/v1/subscriptions?expand[]=customer").await;
    assert_eq!(kept["data"][0]["customer"], json!(bob));
}

async fn expand_over_grpc_and_bad_expansions(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let ada = rest.create("/v1/customers", json!({"name": "Ada"})).await;
    rest.create(
        "/v1/payments",
        json!({"amount": 1, "currency": "usd", "customer": ada}),
    )
    .await;
    let listed = app
        .payments()
        .await
        .list_payments(authed(
            &app.key,
            pb::ListPaymentsRequest {
                expand: vec!["customer".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let expanded = listed.payments[0].expanded_customer.as_ref().unwrap();
    assert_eq!(expanded.id, ada);
    assert_eq!(expanded.name.as_deref(), Some("Ada"));

    for (path, loc) in [
        ("/v1/payments?expand[]=invoice", json!(["query", "expand"])),
        (
            "/v1/subscriptions?expand[]=customer&expand[]=plan",
            json!(["query", "expand"]),
        ),
        (
            &*format!("/v1/customers/{ada}?expand[]=customer"),
            json!(["query", "expand[]"]),
        ),
    ] {
        let reply = rest.get(path).await;
        assert_eq!(reply.status, 422, "{path}: {}", reply.body);
        assert_eq!(reply.body["detail"][0]["loc"], loc, "{path}");
    }
    let body = rest
        .post(
            "/v1/payments",
            json!({"amount": 1, "currency": "usd", "expand": ["customer", "x"]}),
        )
        .await;
    assert_eq!(body.status, 422, "{}", body.body);
    assert_eq!(body.body["detail"][0]["loc"], json!(["body", "expand"]));
}
