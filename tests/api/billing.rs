//! Payments and subscriptions over gRPC: every RPC, a customer's sub-resource
//! listings, validation, isolation, and what deleting a customer does.

use std::collections::{BTreeMap, BTreeSet};

use customerd::auth::Mode;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::payment_service_client::PaymentServiceClient;
use customerd::proto::customers::v1::subscription_service_client::SubscriptionServiceClient;
use sea_orm::ConnectionTrait;
use tonic::Code;
use tonic::transport::Channel;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, reasons, spawn_app, violations};

async fn payments(app: &TestApp) -> PaymentServiceClient<Channel> {
    PaymentServiceClient::new(app.channel().await)
}

async fn subscriptions(app: &TestApp) -> SubscriptionServiceClient<Channel> {
    SubscriptionServiceClient::new(app.channel().await)
}

async fn new_customer(app: &TestApp, key: &str) -> String {
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

async fn pay(app: &TestApp, key: &str, customer: Option<&str>, amount: i64) -> pb::Payment {
    payments(app)
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

async fn subscribe(
    app: &TestApp,
    key: &str,
    customer: &str,
    plan: &str,
    status: pb::SubscriptionStatus,
) -> pb::Subscription {
    subscriptions(app)
        .await
        .create_subscription(authed(
            key,
            pb::CreateSubscriptionRequest {
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

    let mut client = payments(&app).await;
    let fetched = client
        .get_payment(authed(&app.key, pb::GetPaymentRequest { id: p.id.clone() }))
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

    let mut client = subscriptions(&app).await;
    let canceled = client
        .cancel_subscription(authed(
            &app.key,
            pb::CancelSubscriptionRequest { id: s.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap();
    assert_eq!(canceled.status, pb::SubscriptionStatus::Canceled as i32);
    assert!(canceled.canceled_at.is_some());

    let again = client
        .cancel_subscription(authed(
            &app.key,
            pb::CancelSubscriptionRequest { id: s.id.clone() },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(
        again.message(),
        format!("subscription '{}' is already canceled", s.id)
    );
    let fetched = client
        .get_subscription(authed(
            &app.key,
            pb::GetSubscriptionRequest { id: s.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap();
    assert_eq!(
        fetched.canceled_at, canceled.canceled_at,
        "canceled_at unchanged"
    );

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

    let missing = client
        .cancel_subscription(authed(
            &app.key,
            pb::CancelSubscriptionRequest {
                id: "sub_000000000000000000000000".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
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

async fn billing_is_isolated_per_account_and_mode(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = new_customer(&app, &app.key).await;
    let payment = pay(&app, &app.key, Some(&customer), 500).await;
    let sub = subscribe(
        &app,
        &app.key,
        &customer,
        "pro",
        pb::SubscriptionStatus::Active,
    )
    .await;
    let other_account = app.key_for("globex", Mode::Test).await;
    let live = app.key_for("acme", Mode::Live).await;
    for key in [&other_account, &live] {
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
        let get = payments(&app)
            .await
            .get_payment(authed(
                key,
                pb::GetPaymentRequest {
                    id: payment.id.clone(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(get.code(), Code::NotFound);
        let get = subscriptions(&app)
            .await
            .get_subscription(authed(
                key,
                pb::GetSubscriptionRequest { id: sub.id.clone() },
            ))
            .await
            .unwrap_err();
        assert_eq!(get.code(), Code::NotFound);
        let cancel = subscriptions(&app)
            .await
            .cancel_subscription(authed(
                key,
                pb::CancelSubscriptionRequest { id: sub.id.clone() },
            ))
            .await
            .unwrap_err();
        assert_eq!(cancel.code(), Code::NotFound);
        let listed = payments(&app)
            .await
            .list_payments(authed(key, pb::ListPaymentsRequest::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(listed.payments.is_empty());
        // Another tenant's customer cannot be charged or subscribed.
        let charge = payments(&app)
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
        let subscribe = subscriptions(&app)
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
    let still = subscriptions(&app)
        .await
        .get_subscription(authed(
            &app.key,
            pb::GetSubscriptionRequest { id: sub.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap();
    assert_eq!(still, sub);
}

async fn billing_validation_reports_every_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut pay_client = payments(&app).await;
    let cases: Vec<(pb::CreatePaymentRequest, Vec<(&str, &str)>)> = vec![
        (
            pb::CreatePaymentRequest {
                amount: 0,
                currency: String::new(),
                ..Default::default()
            },
            vec![("amount", "OUT_OF_RANGE"), ("currency", "REQUIRED")],
        ),
        (
            pb::CreatePaymentRequest {
                amount: -5,
                currency: "usdollar".into(),
                status: 42,
                description: Some("d".repeat(1001)),
                customer: Some(String::new()),
                metadata: BTreeMap::from([("k".repeat(41), "v".into())]),
            },
            vec![
                ("customer", "INVALID_VALUE"),
                ("amount", "OUT_OF_RANGE"),
                ("currency", "INVALID_VALUE"),
                ("status", "INVALID_VALUE"),
                ("description", "TOO_LONG"),
            ],
        ),
        (
            pb::CreatePaymentRequest {
                amount: 100,
                currency: "usd".into(),
                customer: Some("cus_doesnotexist".into()),
                ..Default::default()
            },
            vec![("customer", "INVALID_VALUE")],
        ),
    ];
    for (req, want) in cases {
        let err = pay_client
            .create_payment(authed(&app.key, req.clone()))
            .await
            .unwrap_err();
        let got: BTreeSet<(String, String)> = reasons(&err)
            .into_iter()
            .filter(|(f, _)| !f.starts_with("metadata"))
            .collect();
        let want: BTreeSet<(String, String)> = want
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        assert_eq!(got, want, "{req:?}");
    }
    let err = pay_client
        .create_payment(authed(
            &app.key,
            pb::CreatePaymentRequest {
                amount: 1,
                currency: "eur".into(),
                metadata: BTreeMap::from([("k".repeat(41), "v".into())]),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec![(
            format!("metadata.{}", "k".repeat(41)),
            "key must be at most 40 characters".to_owned()
        )]
    );

    let mut sub_client = subscriptions(&app).await;
    let err = sub_client
        .create_subscription(authed(
            &app.key,
            pb::CreateSubscriptionRequest {
                status: pb::SubscriptionStatus::Canceled as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let got: BTreeSet<(String, String)> = reasons(&err).into_iter().collect();
    let want: BTreeSet<(String, String)> = [
        ("customer", "REQUIRED"),
        ("plan", "REQUIRED"),
        ("status", "INVALID_VALUE"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(got, want);
    let err = sub_client
        .list_subscriptions(authed(
            &app.key,
            pb::ListSubscriptionsRequest {
                status: 9,
                limit: 5000,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let got: BTreeSet<(String, String)> = reasons(&err).into_iter().collect();
    assert_eq!(
        got,
        [("limit", "OUT_OF_RANGE"), ("status", "INVALID_VALUE")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    );
    let err = pay_client
        .list_payments(authed(
            &app.key,
            pb::ListPaymentsRequest {
                starting_after: "pay_nope".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec![(
            "starting_after".to_owned(),
            "no such payment: 'pay_nope'".to_owned()
        )]
    );
}

/// A customer with two active subscriptions, one past due, one already
/// canceled, and three payments.
struct Attached {
    customer: String,
    live_subscriptions: Vec<pb::Subscription>,
    canceled: pb::Subscription,
    payments: Vec<pb::Payment>,
}

async fn attach(app: &TestApp) -> Attached {
    let customer = new_customer(app, &app.key).await;
    let mut live_subscriptions = Vec::new();
    for (plan, status) in [
        ("basic", pb::SubscriptionStatus::Active),
        ("pro", pb::SubscriptionStatus::Trialing),
        ("team", pb::SubscriptionStatus::PastDue),
    ] {
        live_subscriptions.push(subscribe(app, &app.key, &customer, plan, status).await);
    }
    let old = subscribe(
        app,
        &app.key,
        &customer,
        "legacy",
        pb::SubscriptionStatus::Active,
    )
    .await;
    let canceled = subscriptions(app)
        .await
        .cancel_subscription(authed(
            &app.key,
            pb::CancelSubscriptionRequest { id: old.id },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap();
    let mut payments = Vec::new();
    for amount in [100, 200, 300] {
        payments.push(pay(app, &app.key, Some(&customer), amount).await);
    }
    Attached {
        customer,
        live_subscriptions,
        canceled,
        payments,
    }
}

async fn delete_cancels_active_subscriptions_and_detaches_payments(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = attach(&app).await;
    let bystander = new_customer(&app, &app.key).await;
    let bystander_sub = subscribe(
        &app,
        &app.key,
        &bystander,
        "basic",
        pb::SubscriptionStatus::Active,
    )
    .await;
    let bystander_payment = pay(&app, &app.key, Some(&bystander), 42).await;

    app.customers()
        .await
        .delete_customer(authed(
            &app.key,
            pb::DeleteCustomerRequest {
                id: a.customer.clone(),
            },
        ))
        .await
        .expect("delete succeeds");

    let mut subs = subscriptions(&app).await;
    for before in &a.live_subscriptions {
        let after = subs
            .get_subscription(authed(
                &app.key,
                pb::GetSubscriptionRequest {
                    id: before.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .subscription
            .unwrap();
        assert_eq!(after.status, pb::SubscriptionStatus::Canceled as i32);
        assert!(after.canceled_at.is_some());
        assert_eq!(after.customer, a.customer);
        assert_eq!(after.plan, before.plan);
    }
    let old = subs
        .get_subscription(authed(
            &app.key,
            pb::GetSubscriptionRequest {
                id: a.canceled.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap();
    assert_eq!(
        old, a.canceled,
        "an already canceled subscription keeps its canceled_at"
    );

    let mut pays = payments(&app).await;
    for before in &a.payments {
        let after = pays
            .get_payment(authed(
                &app.key,
                pb::GetPaymentRequest {
                    id: before.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .payment
            .unwrap();
        assert_eq!(after.customer, None);
        assert_eq!(
            pb::Payment {
                customer: Some(a.customer.clone()),
                ..after
            },
            *before
        );
    }

    // The deleted customer's listings are gone with it.
    let mut customers = app.customers().await;
    let listing = customers
        .list_customer_payments(authed(
            &app.key,
            pb::ListCustomerPaymentsRequest {
                id: a.customer.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(listing.code(), Code::NotFound);
    let listing = customers
        .list_customer_subscriptions(authed(
            &app.key,
            pb::ListCustomerSubscriptionsRequest {
                id: a.customer.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(listing.code(), Code::NotFound);

    // Nothing of another customer changed.
    let untouched = subs
        .get_subscription(authed(
            &app.key,
            pb::GetSubscriptionRequest {
                id: bystander_sub.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscription
        .unwrap();
    assert_eq!(untouched, bystander_sub);
    let untouched = pays
        .get_payment(authed(
            &app.key,
            pb::GetPaymentRequest {
                id: bystander_payment.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    assert_eq!(untouched, bystander_payment);
}

/// A trigger that makes every update of `payments` fail, so a delete fails
/// after it has canceled the subscriptions.
fn failing_trigger(backend: Backend) -> Vec<&'static str> {
    match backend {
        Backend::Sqlite => vec![
            "CREATE TRIGGER injected_failure BEFORE UPDATE ON payments \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        ],
        Backend::Postgres => vec![
            "CREATE FUNCTION injected_failure() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER injected_failure BEFORE UPDATE ON payments \
             FOR EACH ROW EXECUTE FUNCTION injected_failure()",
        ],
        Backend::MySql => vec![
            "CREATE TRIGGER injected_failure BEFORE UPDATE ON payments FOR EACH ROW \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'",
        ],
    }
}

async fn failed_delete_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = attach(&app).await;
    let mut customers = app.customers().await;
    let before = customers
        .get_customer(authed(
            &app.key,
            pb::GetCustomerRequest {
                id: a.customer.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    for sql in failing_trigger(backend) {
        app.db
            .execute_unprepared(sql)
            .await
            .expect("install trigger");
    }

    let err = customers
        .delete_customer(authed(
            &app.key,
            pb::DeleteCustomerRequest {
                id: a.customer.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    assert_eq!(
        err.message(),
        "internal error",
        "no SQL leaks to the client"
    );

    let after = customers
        .get_customer(authed(
            &app.key,
            pb::GetCustomerRequest {
                id: a.customer.clone(),
            },
        ))
        .await
        .expect("the customer is still there")
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(after, before);
    let subs = customers
        .list_customer_subscriptions(authed(
            &app.key,
            pb::ListCustomerSubscriptionsRequest {
                id: a.customer.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .subscriptions;
    let mut expected: Vec<pb::Subscription> = a.live_subscriptions.clone();
    expected.push(a.canceled.clone());
    expected.sort_by(|x, y| x.id.cmp(&y.id));
    let mut got = subs.clone();
    got.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(got, expected, "no subscription was canceled");
    let pays = customers
        .list_customer_payments(authed(
            &app.key,
            pb::ListCustomerPaymentsRequest {
                id: a.customer.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .payments;
    assert_eq!(pays.len(), 3, "no payment was detached");
}

backend_tests!(
    payments_are_created_read_and_listed,
    subscriptions_are_created_listed_and_canceled_once,
    customer_listings_hold_only_that_customers_objects_and_paginate,
    billing_is_isolated_per_account_and_mode,
    billing_validation_reports_every_problem,
    delete_cancels_active_subscriptions_and_detaches_payments,
    failed_delete_changes_nothing,
);
