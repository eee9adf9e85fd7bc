//! Every problem of a request in one reply: `validate_only` (AIP-163) over
//! gRPC, and the gateway asking it about the well-typed rest of a body whose
//! shape failed.

use customerd::proto::customers::v1 as pb;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, authed, spawn_app, violations};

backend_tests!(
    one_422_lists_wrong_types_and_bad_values_together,
    validate_only_checks_and_writes_nothing,
);

fn locs_and_types(reply: &Value) -> Vec<(Value, String)> {
    let mut out: Vec<(Value, String)> = reply["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("a 422 detail list: {reply}"))
        .iter()
        .map(|p| (p["loc"].clone(), p["type"].as_str().unwrap().to_owned()))
        .collect();
    out.sort_by_key(|(loc, _)| loc.to_string());
    out
}

async fn one_422_lists_wrong_types_and_bad_values_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let rest = app.rest();
    let long_key = "k".repeat(41);
    let expected = vec![
        (json!(["body", "email"]), "value_error.email".to_owned()),
        (
            json!(["body", "metadata", long_key]),
            "value_error.any_str.max_length".to_owned(),
        ),
        (json!(["body", "name"]), "type_error.str".to_owned()),
    ];
    for base in ["/v1", "/4geeks/v1", "/epoch/v1"] {
        let body = json!({"email": "bad", "name": 5, "metadata": {long_key.clone(): "v"}});
        let created = rest.post(&format!("{base}/customers"), body.clone()).await;
        assert_eq!(created.status, 422, "{base}: {}", created.body);
        assert_eq!(locs_and_types(&created.body), expected, "{base}");

        let id = rest
            .create(
                &format!("{base}/customers"),
                json!({"email": "ok@example.com"}),
            )
            .await;
        let updated = rest.patch(&format!("{base}/customers/{id}"), body).await;
        assert_eq!(updated.status, 422, "{base}: {}", updated.body);
        assert_eq!(locs_and_types(&updated.body), expected, "{base}");
        // Nothing was written by either.
        let kept = rest.ok(&format!("{base}/customers/{id}")).await;
        assert_eq!(kept["email"], "ok@example.com");
        assert_eq!(kept["metadata"], json!({}));
    }

    // A form body: a malformed number beside an out-of-range one, and a bad
    // currency, with pydantic's vocabulary for the bound.
    let payment = rest
        .post_raw(
            "/v1/payments",
            "amount=0&currency=xyz&metadata[a][b]=c",
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(payment.status, 422, "{}", payment.body);
    assert_eq!(
        locs_and_types(&payment.body),
        vec![
            (
                json!(["body", "amount"]),
                "value_error.number.not_gt".to_owned()
            ),
            (
                json!(["body", "currency"]),
                "value_error.invalid_value".to_owned()
            ),
            (
                json!(["body", "metadata", "a"]),
                "type_error.str".to_owned()
            ),
        ]
    );
    let amount = &payment.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["loc"] == json!(["body", "amount"]))
        .unwrap()["msg"];
    assert_eq!(amount, "ensure this value is greater than 0");
    let listed = rest.ok("/v1/payments").await;
    assert_eq!(listed["data"], json!([]));
}

async fn validate_only_checks_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut customers = app.customers().await;
    let valid = pb::CreateCustomerRequest {
        email: Some("check@example.com".into()),
        validate_only: true,
        ..Default::default()
    };
    let mut request = authed(&app.key, valid.clone());
    request
        .metadata_mut()
        .insert("idempotency-key", "check-1".parse().unwrap());
    let reply = customers
        .create_customer(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.customer, None);

    let invalid = customers
        .create_customer(authed(
            &app.key,
            pb::CreateCustomerRequest {
                email: Some("nope".into()),
                name: Some("x".repeat(300)),
                validate_only: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let fields: Vec<String> = violations(&invalid).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["email", "name"]);

    let listed = customers
        .list_customers(authed(&app.key, pb::ListCustomersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.customers.is_empty());

    // The idempotency key was not claimed: the real create under it succeeds.
    let mut real = authed(
        &app.key,
        pb::CreateCustomerRequest {
            validate_only: false,
            ..valid
        },
    );
    real.metadata_mut()
        .insert("idempotency-key", "check-1".parse().unwrap());
    let created = customers.create_customer(real).await.unwrap().into_inner();
    assert_eq!(
        created.customer.unwrap().email.as_deref(),
        Some("check@example.com")
    );

    let mut payments = app.payments().await;
    let checked = payments
        .create_payment(authed(
            &app.key,
            pb::CreatePaymentRequest {
                amount: 10,
                currency: "usd".into(),
                validate_only: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(checked.payment, None);
    let none = payments
        .list_payments(authed(&app.key, pb::ListPaymentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(none.payments.is_empty());
}
