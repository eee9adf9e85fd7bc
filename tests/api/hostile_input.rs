//! Input no database here can store (NUL characters), input too long to repeat
//! in an error, and near-miss values: client errors or no match, never
//! internal errors.

use std::collections::BTreeMap;

use customerd::proto::customers::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, reasons, spawn_app, violations};

const NUL: &str = "a\0b";

fn invalid(field: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), "INVALID_VALUE".to_owned())]
}

/// A customer with nothing set.
async fn existing(app: &TestApp) -> pb::Customer {
    app.customers()
        .await
        .create_customer(authed(&app.key, pb::CreateCustomerRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap()
}

async fn nul_characters_in_customer_writes_are_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut customers = app.customers().await;
    let existing = existing(&app).await;

    let err = customers
        .create_customer(authed(
            &app.key,
            pb::CreateCustomerRequest {
                name: Some(NUL.into()),
                email: Some(format!("{NUL}@example.com")),
                metadata: BTreeMap::from([("k".into(), NUL.into())]),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let mut got = reasons(&err);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("email".to_owned(), "INVALID_VALUE".to_owned()),
            ("metadata.k".to_owned(), "INVALID_VALUE".to_owned()),
            ("name".to_owned(), "INVALID_VALUE".to_owned()),
        ]
    );

    let err = customers
        .update_customer(authed(
            &app.key,
            pb::UpdateCustomerRequest {
                validate_only: false,
                id: existing.id.clone(),
                customer: Some(pb::CustomerUpdate::default()),
                update_mask: Some(FieldMask {
                    paths: vec![format!("metadata.{NUL}")],
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reasons(&err), invalid("update_mask"));
}

async fn ids_with_nul_characters_are_unknown(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut customers = app.customers().await;
    let existing = existing(&app).await;
    for id in [NUL.to_owned(), format!("{}\0", existing.id)] {
        let get = customers
            .get_customer(authed(&app.key, pb::GetCustomerRequest { id: id.clone() }))
            .await
            .unwrap_err();
        assert_eq!(get.code(), Code::NotFound);
        let delete = customers
            .delete_customer(authed(
                &app.key,
                pb::DeleteCustomerRequest { id: id.clone() },
            ))
            .await
            .unwrap_err();
        assert_eq!(delete.code(), Code::NotFound);
        let listing = customers
            .list_customer_payments(authed(
                &app.key,
                pb::ListCustomerPaymentsRequest {
                    id: id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(listing.code(), Code::NotFound);
    }
    let err = app
        .payments()
        .await
        .get_payment(authed(
            &app.key,
            pb::GetPaymentRequest {
                expand: Vec::new(),
                id: NUL.into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = app
        .subscriptions()
        .await
        .cancel_subscription(authed(
            &app.key,
            pb::CancelSubscriptionRequest { id: NUL.into() },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

async fn nul_characters_in_customer_list_parameters_are_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut customers = app.customers().await;
    let err = customers
        .list_customers(authed(
            &app.key,
            pb::ListCustomersRequest {
                starting_after: NUL.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reasons(&err), invalid("starting_after"));
    let err = customers
        .list_customers(authed(
            &app.key,
            pb::ListCustomersRequest {
                email: Some(NUL.into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reasons(&err), invalid("email"));
    let err = customers
        .list_customers(authed(
            &app.key,
            pb::ListCustomersRequest {
                filter: Some(pb::CustomerFilter {
                    kind: Some(pb::customer_filter::Kind::Condition(
                        pb::CustomerCondition {
                            field: "metadata.tier".into(),
                            operator: pb::FilterOperator::Contains as i32,
                            value: NUL.into(),
                            time: None,
                        },
                    )),
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reasons(&err), invalid("filter.condition.value"));
}

async fn nul_characters_in_billing_requests_are_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let existing = existing(&app).await;
    let mut payments = app.payments().await;
    let err = payments
        .create_payment(authed(
            &app.key,
            pb::CreatePaymentRequest {
                customer: Some(NUL.into()),
                amount: 1,
                currency: "usd".into(),
                description: Some(NUL.into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let mut got = reasons(&err);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("customer".to_owned(), "INVALID_VALUE".to_owned()),
            ("description".to_owned(), "INVALID_VALUE".to_owned()),
        ]
    );

    let mut subscriptions = app.subscriptions().await;
    let err = subscriptions
        .create_subscription(authed(
            &app.key,
            pb::CreateSubscriptionRequest {
                customer: existing.id.clone(),
                plan: NUL.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reasons(&err), invalid("plan"));
    let err = subscriptions
        .list_subscriptions(authed(
            &app.key,
            pb::ListSubscriptionsRequest {
                customer: Some(NUL.into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reasons(&err), invalid("customer"));
}

async fn long_values_are_shortened_in_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let long = "x".repeat(10_000);
    let shown = format!("{}…", "x".repeat(64));
    let mut customers = app.customers().await;
    let err = customers
        .list_customers(authed(
            &app.key,
            pb::ListCustomersRequest {
                starting_after: long.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec![(
            "starting_after".to_owned(),
            format!("no such customer: '{shown}'")
        )]
    );
    let err = customers
        .create_customer(authed(
            &app.key,
            pb::CreateCustomerRequest {
                metadata: BTreeMap::from([(long.clone(), "v".into())]),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec![(
            format!("metadata.{shown}"),
            "key must be at most 40 characters".to_owned()
        )]
    );
    let err = app
        .payments()
        .await
        .create_payment(authed(
            &app.key,
            pb::CreatePaymentRequest {
                customer: Some(long.clone()),
                amount: 1,
                currency: "usd".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec![(
            "customer".to_owned(),
            format!("no such customer: '{shown}'")
        )]
    );
    let err = customers
        .get_customer(authed(&app.key, pb::GetCustomerRequest { id: long }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), format!("no such customer: '{shown}'"));
}

async fn exact_matches_do_not_ignore_trailing_spaces(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut customers = app.customers().await;
    customers
        .create_customer(authed(
            &app.key,
            pb::CreateCustomerRequest {
                email: Some("trail@example.com".into()),
                name: Some("pad".into()),
                metadata: BTreeMap::from([("tier".into(), "gold".into())]),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let list = |request: pb::ListCustomersRequest| {
        let mut client = customers.clone();
        let key = app.key.clone();
        async move {
            client
                .list_customers(authed(&key, request))
                .await
                .unwrap()
                .into_inner()
                .customers
                .len()
        }
    };
    let eq = |field: &str, value: &str| pb::CustomerFilter {
        kind: Some(pb::customer_filter::Kind::Condition(
            pb::CustomerCondition {
                field: field.into(),
                operator: pb::FilterOperator::Eq as i32,
                value: value.into(),
                time: None,
            },
        )),
    };
    for (request, want) in [
        (
            pb::ListCustomersRequest {
                email: Some("trail@example.com".into()),
                ..Default::default()
            },
            1,
        ),
        (
            pb::ListCustomersRequest {
                email: Some("trail@example.com ".into()),
                ..Default::default()
            },
            0,
        ),
        (
            pb::ListCustomersRequest {
                filter: Some(eq("name", "pad ")),
                ..Default::default()
            },
            0,
        ),
        (
            pb::ListCustomersRequest {
                filter: Some(eq("metadata.tier", "gold ")),
                ..Default::default()
            },
            0,
        ),
        (
            pb::ListCustomersRequest {
                filter: Some(eq("metadata.tier ", "gold")),
                ..Default::default()
            },
            0,
        ),
    ] {
        assert_eq!(list(request.clone()).await, want, "{request:?}");
    }
}

backend_tests!(
    nul_characters_in_customer_writes_are_rejected,
    ids_with_nul_characters_are_unknown,
    nul_characters_in_customer_list_parameters_are_rejected,
    nul_characters_in_billing_requests_are_rejected,
    long_values_are_shortened_in_errors,
    exact_matches_do_not_ignore_trailing_spaces,
);
