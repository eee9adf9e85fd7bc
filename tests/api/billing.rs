//! Payments and subscriptions over gRPC: every RPC, a customer's sub-resource
//! listings, and isolation per account and mode. Their validation is in
//! `billing_validation`, what deleting a customer does in `billing_deletion`.

use std::collections::BTreeMap;

use customerd::auth::Mode;
use customerd::proto::customers::v1 as pb;
use tonic::Code;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, spawn_app, violations};

/// A new customer of the account `key` belongs to.
pub async fn new_customer(app: &TestApp, key: &str) -> String {
    app.customers()
        .await
        .create_customer(authed(
            key,
            pb::CreateCustomerRequest {
                email: Some("payer@example.com".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap()
        .id
}

/// A payment of `amount` USD, with a description and metadata.
pub async fn pay(app: &TestApp, key: &str, customer: Option<&str>, amount: i64) -> pb::Payment {
    app.payments()
        .await
        .create_payment(authed(
            key,
            pb::CreatePaymentRequest {
                customer: customer.map(Into::into),
                amount,
                currency: "USD".into(),
                description: Some(format!("order of {amount}")),
                metadata: BTreeMap::from([("order".into(), amount.to_string())]),
                ..Default::default()
            },
        ))
        .await
        .expect("payment created")
        .into_inner()
        .payment
        .unwrap()
}

/// A subscription with one metadata entry.
pub async fn subscribe(
    app: &TestApp,
    key: &str,
    customer: &str,
    plan: &str,
    status: pb::SubscriptionStatus,
) -> pb::Subscription {
    app.subscriptions()
        .await
        .create_subscription(authed(
            key,
            pb::CreateSubscriptionRequest {
                expand: Vec::new(),
                validate_only: false,
                customer: customer.into(),
                plan: plan.into(),
                status: status as i32,
                metadata: BTreeMap::from([("seats".into(), "3".into())]),
            },
        ))
        .await
        .expect("subscription created")
        .into_inner()
        .subscription
        .unwrap()
}

/// The subscription `id` as the app's key reads it.
pub async fn get_subscription(app: &TestApp, id: &str) -> pb::Subscription {
    app.subscriptions()
        .await
        .get_subscription(authed(
            &app.key,
            pb::GetSubscriptionRequest {
                expand: Vec::new(),
                id: id.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap()
}

/// Cancels the subscription `id` with the app's key.
pub async fn cancel(app: &TestApp, id: &str) -> Result<pb::Subscription, tonic::Status> {
    let reply = app
        .subscriptions()
        .await
        .cancel_subscription(authed(
            &app.key,
            pb::CancelSubscriptionRequest { id: id.to_owned() },
        ))
        .await?;
    Ok(reply.into_inner().subscription.unwrap())
}

async fn payments_are_created_read_and_listed(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = new_customer(&app, &app.key).await;
    let p = pay(&app, &app.key, Some(&customer), 2500).await;
    assert!(p.id.starts_with("pay_") && p.id.len() == 28);
    assert_eq!(p.customer.as_deref(), Some(customer.as_str()));
    assert_eq!(p.amount, 2500);
    assert_eq!(p.currency, "usd");
    assert_eq!(p.status, pb::PaymentStatus::Succeeded as i32);
    assert_eq!(p.description.as_deref(), Some("order of 2500"));
    assert_eq!(
        p.metadata,
        BTreeMap::from([("order".into(), "2500".into())])
    );
    assert!(!p.live);
    assert!(p.created_at.is_some());

    let mut client = app.payments().await;
    let fetched = client
        .get_payment(authed(
            &app.key,
            pb::GetPaymentRequest {
                expand: Vec::new(),
                id: p.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    assert_eq!(fetched, p);

    let anonymous = pay(&app, &app.key, None, 99).await;
    assert_eq!(anonymous.customer, None);
    let all = client
        .list_payments(authed(
            &app.key,
            pb::ListPaymentsRequest {
                include_total_count: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.payments, vec![anonymous.clone(), p.clone()]);
    assert_eq!(all.total_count, Some(2));
    let of_customer = client
        .list_payments(authed(
            &app.key,
            pb::ListPaymentsRequest {
                customer: Some(customer),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(of_customer.payments, vec![p]);
}

async fn subscriptions_are_created_listed_and_canceled_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = new_customer(&app, &app.key).await;
    let s = subscribe(
        &app,
        &app.key,
        &customer,
        "pro",
        pb::SubscriptionStatus::Unspecified,
    )
    .await;
    assert!(s.id.starts_with("sub_") && s.id.len() == 28);
    assert_eq!(s.customer, customer);
    assert_eq!(s.plan, "pro");
    assert_eq!(s.status, pb::SubscriptionStatus::Active as i32);
    assert_eq!(s.metadata, BTreeMap::from([("seats".into(), "3".into())]));
    assert_eq!(s.canceled_at, None);
    let trial = subscribe(
        &app,
        &app.key,
        &customer,
        "team",
        pb::SubscriptionStatus::Trialing,
    )
    .await;
    assert_eq!(trial.status, pb::SubscriptionStatus::Trialing as i32);

    let canceled = cancel(&app, &s.id).await.unwrap();
    assert_eq!(canceled.status, pb::SubscriptionStatus::Canceled as i32);
    assert!(canceled.canceled_at.is_some());

    let again = cancel(&app, &s.id).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(
        again.message(),
        format!("subscription '{}' is already canceled", s.id)
    );
    let fetched = get_subscription(&app, &s.id).await;
    assert_eq!(
        fetched.canceled_at, canceled.canceled_at,
        "canceled_at unchanged"
    );

    let mut client = app.subscriptions().await;
    let active_only = client
        .list_subscriptions(authed(
            &app.key,
            pb::ListSubscriptionsRequest {
                customer: Some(customer.clone()),
                status: pb::SubscriptionStatus::Trialing as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active_only.subscriptions, vec![trial.clone()]);
    let everything = client
        .list_subscriptions(authed(&app.key, pb::ListSubscriptionsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(everything.subscriptions, vec![trial, fetched]);

    let missing = cancel(&app, "sub_000000000000000000000000").await;
    assert_eq!(missing.unwrap_err().code(), Code::NotFound);
}

async fn customer_listings_hold_only_that_customers_objects_and_paginate(backend: Backend) {
    let app = spawn_app(backend).await;
    let mine = new_customer(&app, &app.key).await;
    let other = new_customer(&app, &app.key).await;
    let mut my_payments = Vec::new();
    for amount in 1..=7 {
        my_payments.push(pay(&app, &app.key, Some(&mine), amount * 100).await.id);
        pay(&app, &app.key, Some(&other), amount).await;
    }
    my_payments.reverse();
    let mut my_subscriptions = Vec::new();
    for plan in ["a", "b", "c"] {
        my_subscriptions.push(
            subscribe(&app, &app.key, &mine, plan, pb::SubscriptionStatus::Active)
                .await
                .id,
        );
        subscribe(&app, &app.key, &other, plan, pb::SubscriptionStatus::Active).await;
    }
    my_subscriptions.reverse();

    let mut client = app.customers().await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = client
            .list_customer_payments(authed(
                &app.key,
                pb::ListCustomerPaymentsRequest {
                    id: mine.clone(),
                    limit: 3,
                    starting_after: cursor.clone(),
                    include_total_count: true,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.total_count, Some(7));
        assert!(
            page.payments
                .iter()
                .all(|p| p.customer.as_deref() == Some(mine.as_str()))
        );
        seen.extend(page.payments.iter().map(|p| p.id.clone()));
        if !page.has_more {
            break;
        }
        cursor = page.payments.last().unwrap().id.clone();
    }
    assert_eq!(seen, my_payments);

    let subs = client
        .list_customer_subscriptions(authed(
            &app.key,
            pb::ListCustomerSubscriptionsRequest {
                id: mine.clone(),
                limit: 2,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(subs.has_more);
    assert_eq!(
        subs.subscriptions
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>(),
        my_subscriptions[..2].to_vec()
    );
    let rest = client
        .list_customer_subscriptions(authed(
            &app.key,
            pb::ListCustomerSubscriptionsRequest {
                id: mine.clone(),
                limit: 2,
                offset: 2,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!rest.has_more);
    assert_eq!(
        rest.subscriptions
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>(),
        my_subscriptions[2..].to_vec()
    );
}

/// A customer of the app's key with a payment and a subscription.
async fn billed(app: &TestApp) -> (String, pb::Payment, pb::Subscription) {
    let customer = new_customer(app, &app.key).await;
    let payment = pay(app, &app.key, Some(&customer), 500).await;
    let sub = subscribe(
        app,
        &app.key,
        &customer,
        "pro",
        pb::SubscriptionStatus::Active,
    )
    .await;
    (customer, payment, sub)
}

/// A key of another account and a live key of the same account.
async fn other_tenants(app: &TestApp) -> [String; 2] {
    [
        app.key_for("globex", Mode::Test).await,
        app.key_for("acme", Mode::Live).await,
    ]
}

async fn another_tenant_cannot_see_or_cancel_billing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (customer, payment, sub) = billed(&app).await;
    for key in &other_tenants(&app).await {
        let mut customers = app.customers().await;
        let p = customers
            .list_customer_payments(authed(
                key,
                pb::ListCustomerPaymentsRequest {
                    id: customer.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(p.code(), Code::NotFound);
        assert_eq!(p.message(), format!("no such customer: '{customer}'"));
        let s = customers
            .list_customer_subscriptions(authed(
                key,
                pb::ListCustomerSubscriptionsRequest {
                    id: customer.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(s.code(), Code::NotFound);
        let get = app
            .payments()
            .await
            .get_payment(authed(
                key,
                pb::GetPaymentRequest {
                    expand: Vec::new(),
                    id: payment.id.clone(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(get.code(), Code::NotFound);
        let get = app
            .subscriptions()
            .await
            .get_subscription(authed(
                key,
                pb::GetSubscriptionRequest {
                    expand: Vec::new(),
                    id: sub.id.clone(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(get.code(), Code::NotFound);
        let cancel = app
            .subscriptions()
            .await
            .cancel_subscription(authed(
                key,
                pb::CancelSubscriptionRequest { id: sub.id.clone() },
            ))
            .await
            .unwrap_err();
        assert_eq!(cancel.code(), Code::NotFound);
        let listed = app
            .payments()
            .await
            .list_payments(authed(key, pb::ListPaymentsRequest::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(listed.payments.is_empty());
    }
    let still = app
        .subscriptions()
        .await
        .get_subscription(authed(
            &app.key,
            pb::GetSubscriptionRequest {
                expand: Vec::new(),
                id: sub.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap();
    assert_eq!(still, sub);
}

/// Another tenant's customer cannot be charged or subscribed.
async fn another_tenant_cannot_charge_or_subscribe_a_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let (customer, _, _) = billed(&app).await;
    for key in &other_tenants(&app).await {
        let charge = app
            .payments()
            .await
            .create_payment(authed(
                key,
                pb::CreatePaymentRequest {
                    customer: Some(customer.clone()),
                    amount: 1,
                    currency: "usd".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(
            violations(&charge),
            vec![(
                "customer".to_owned(),
                format!("no such customer: '{customer}'")
            )]
        );
        let subscribe = app
            .subscriptions()
            .await
            .create_subscription(authed(
                key,
                pb::CreateSubscriptionRequest {
                    customer: customer.clone(),
                    plan: "pro".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(violations(&subscribe)[0].0, "customer");
    }
}

backend_tests!(
    payments_are_created_read_and_listed,
    subscriptions_are_created_listed_and_canceled_once,
    customer_listings_hold_only_that_customers_objects_and_paginate,
    another_tenant_cannot_see_or_cancel_billing,
    another_tenant_cannot_charge_or_subscribe_a_customer,
);
