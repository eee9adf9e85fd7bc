//! What deleting a customer does to its billing over gRPC: live subscriptions
//! canceled, payments detached, listings gone, nothing else touched; and a
//! delete that fails half-way changes nothing.

use customerd::proto::customers::v1 as pb;
use sea_orm::ConnectionTrait;
use tonic::Code;

use crate::backend_tests;
use crate::billing::{cancel, get_subscription, new_customer, pay, subscribe};
use crate::helpers::{Backend, TestApp, authed, spawn_app};

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
    let canceled = cancel(app, &old.id).await.expect("canceled");
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

/// An [`attach`]ed customer, deleted, and a bystander customer's
/// subscription and payment.
struct Deleted {
    a: Attached,
    bystander_sub: pb::Subscription,
    bystander_payment: pb::Payment,
}

async fn delete_attached(app: &TestApp) -> Deleted {
    let a = attach(app).await;
    let bystander = new_customer(app, &app.key).await;
    let bystander_sub = subscribe(
        app,
        &app.key,
        &bystander,
        "basic",
        pb::SubscriptionStatus::Active,
    )
    .await;
    let bystander_payment = pay(app, &app.key, Some(&bystander), 42).await;

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
    Deleted {
        a,
        bystander_sub,
        bystander_payment,
    }
}

async fn get_payment(app: &TestApp, id: &str) -> pb::Payment {
    app.payments()
        .await
        .get_payment(authed(
            &app.key,
            pb::GetPaymentRequest {
                expand: Vec::new(),
                id: id.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap()
}

async fn delete_cancels_live_subscriptions_and_keeps_earlier_cancellations(backend: Backend) {
    let app = spawn_app(backend).await;
    let Deleted { a, .. } = delete_attached(&app).await;
    for before in &a.live_subscriptions {
        let after = get_subscription(&app, &before.id).await;
        assert_eq!(after.status, pb::SubscriptionStatus::Canceled as i32);
        assert!(after.canceled_at.is_some());
        assert_eq!(after.customer, a.customer);
        assert_eq!(after.plan, before.plan);
    }
    let old = get_subscription(&app, &a.canceled.id).await;
    assert_eq!(
        old, a.canceled,
        "an already canceled subscription keeps its canceled_at"
    );
}

async fn delete_detaches_payments_and_changes_nothing_else_of_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let Deleted { a, .. } = delete_attached(&app).await;
    for before in &a.payments {
        let after = get_payment(&app, &before.id).await;
        assert_eq!(after.customer, None);
        assert_eq!(
            pb::Payment {
                customer: Some(a.customer.clone()),
                ..after
            },
            *before
        );
    }
}

async fn a_deleted_customers_listings_are_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    let Deleted { a, .. } = delete_attached(&app).await;
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
}

async fn delete_leaves_other_customers_billing_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let Deleted {
        bystander_sub,
        bystander_payment,
        ..
    } = delete_attached(&app).await;
    let untouched = get_subscription(&app, &bystander_sub.id).await;
    assert_eq!(untouched, bystander_sub);
    let untouched = get_payment(&app, &bystander_payment.id).await;
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
    delete_cancels_live_subscriptions_and_keeps_earlier_cancellations,
    delete_detaches_payments_and_changes_nothing_else_of_them,
    a_deleted_customers_listings_are_gone,
    delete_leaves_other_customers_billing_alone,
    failed_delete_changes_nothing,
);
