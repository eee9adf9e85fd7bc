//! Creates sent again with the same idempotency key return the first outcome.

use std::collections::BTreeMap;

use customerd::auth::Mode;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use sea_orm::ConnectionTrait;
use tonic::Code;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, spawn_app, violations};

fn with_key<T>(app_key: &str, idempotency_key: &str, message: T) -> tonic::Request<T> {
    let mut request = authed(app_key, message);
    request
        .metadata_mut()
        .insert("idempotency-key", idempotency_key.parse().unwrap());
    request
}

fn order() -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        email: Some("retry@example.com".into()),
        name: Some("Retry".into()),
        metadata: BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
        ..Default::default()
    }
}

async fn count(app: &TestApp, key: &str) -> Option<i64> {
    app.customers()
        .await
        .list_customers(authed(
            key,
            pb::ListCustomersRequest {
                include_total_count: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .total_count
}

async fn a_retried_create_returns_the_first_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = app.customers().await;
    let first = client
        .create_customer(with_key(&app.key, "order-1001", order()))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .create_customer(with_key(&app.key, "order-1001", order()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(count(&app, &app.key).await, Some(1));

    // Another key, or none, creates another customer.
    client
        .create_customer(with_key(&app.key, "order-1002", order()))
        .await
        .unwrap();
    client
        .create_customer(authed(&app.key, order()))
        .await
        .unwrap();
    assert_eq!(count(&app, &app.key).await, Some(3));

    // Keys belong to one tenant: another account's identical key is its own.
    let other = app.key_for("globex", Mode::Test).await;
    let theirs = client
        .create_customer(with_key(&other, "order-1001", order()))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(theirs.customer.unwrap().id, first.customer.unwrap().id);
}

async fn a_reused_key_with_other_parameters_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = app.customers().await;
    client
        .create_customer(with_key(&app.key, "k-1", order()))
        .await
        .unwrap();
    let mut changed = order();
    changed.name = Some("Someone else".into());
    let err = client
        .create_customer(with_key(&app.key, "k-1", changed))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        err.message(),
        "idempotency key 'k-1' was already used with different parameters"
    );
    // Nor may a key move to another kind of object.
    let err = app
        .payments()
        .await
        .create_payment(with_key(
            &app.key,
            "k-1",
            pb::CreatePaymentRequest {
                amount: 100,
                currency: "usd".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(count(&app, &app.key).await, Some(1));
}

async fn a_failed_create_leaves_the_key_free(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app
        .customers()
        .await
        .create_customer(authed(&app.key, order()))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let mut subs = app.subscriptions().await;
    let request = pb::CreateSubscriptionRequest {
        customer: "cus_notyetthere".into(),
        plan: "pro".into(),
        ..Default::default()
    };
    let err = subs
        .create_subscription(with_key(&app.key, "sub-1", request))
        .await
        .unwrap_err();
    assert_eq!(violations(&err)[0].0, "customer");
    // The same key now works for the corrected request.
    let fixed = pb::CreateSubscriptionRequest {
        customer: customer.id.clone(),
        plan: "pro".into(),
        ..Default::default()
    };
    let first = subs
        .create_subscription(with_key(&app.key, "sub-1", fixed.clone()))
        .await
        .unwrap()
        .into_inner();
    let again = subs
        .create_subscription(with_key(&app.key, "sub-1", fixed))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
}

async fn concurrent_duplicates_create_one_object(backend: Backend) {
    let app = spawn_app(backend).await;
    let channel = app.channel().await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let mut client = CustomerServiceClient::new(channel.clone());
        let request = with_key(&app.key, "burst", order());
        tasks.push(tokio::spawn(async move {
            client.create_customer(request).await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap().expect("each duplicate succeeds");
        ids.push(reply.into_inner().customer.unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(count(&app, &app.key).await, Some(1));
}

async fn payments_are_idempotent_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = app.payments().await;
    let request = pb::CreatePaymentRequest {
        amount: 4200,
        currency: "eur".into(),
        ..Default::default()
    };
    let first = client
        .create_payment(with_key(&app.key, "charge-7", request.clone()))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .create_payment(with_key(&app.key, "charge-7", request))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    let listed = client
        .list_payments(authed(&app.key, pb::ListPaymentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.payments.len(), 1);

    let too_long = "k".repeat(256);
    let err = client
        .create_payment(with_key(
            &app.key,
            &too_long,
            pb::CreatePaymentRequest {
                amount: 1,
                currency: "eur".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec![(
            "idempotency-key".to_owned(),
            "must be at most 255 characters".to_owned()
        )]
    );
}

async fn a_key_older_than_a_day_may_be_used_afresh(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = app.customers().await;
    let first = client
        .create_customer(with_key(&app.key, "daily", order()))
        .await
        .unwrap()
        .into_inner();
    // Age the record past the 24-hour retention.
    let day_and_a_minute: i64 = (24 * 60 * 60 + 60) * 1_000_000;
    app.db
        .execute_unprepared(&format!(
            "UPDATE idempotency_keys SET created_at = created_at - {day_and_a_minute}"
        ))
        .await
        .unwrap();
    let mut changed = order();
    changed.name = Some("Next day".into());
    let next = client
        .create_customer(with_key(&app.key, "daily", changed.clone()))
        .await
        .expect("an expired key is free again")
        .into_inner();
    assert_ne!(
        next.customer.as_ref().unwrap().id,
        first.customer.unwrap().id
    );
    assert_eq!(
        next.customer.as_ref().unwrap().name.as_deref(),
        Some("Next day")
    );
    // And it is remembered again from now on.
    let again = client
        .create_customer(with_key(&app.key, "daily", changed))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, next);
    assert_eq!(count(&app, &app.key).await, Some(2));
}

backend_tests!(
    a_key_older_than_a_day_may_be_used_afresh,
    a_retried_create_returns_the_first_customer,
    a_reused_key_with_other_parameters_is_refused,
    a_failed_create_leaves_the_key_free,
    concurrent_duplicates_create_one_object,
    payments_are_idempotent_too,
);
