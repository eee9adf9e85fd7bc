//! What payment and subscription RPCs refuse over gRPC: every problem of a
//! request reported at once, with its field and reason.

use std::collections::{BTreeMap, BTreeSet};

use customerd::proto::customers::v1 as pb;

use crate::backend_tests;
use crate::helpers::{Backend, authed, reasons, spawn_app, violations};

async fn payment_creates_report_every_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut pay_client = app.payments().await;
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
                expand: Vec::new(),
                validate_only: false,
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
}

async fn subscription_creates_and_lists_report_every_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut sub_client = app.subscriptions().await;
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
}

async fn unknown_payment_cursors_are_reported(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut pay_client = app.payments().await;
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

backend_tests!(
    payment_creates_report_every_problem,
    subscription_creates_and_lists_report_every_problem,
    unknown_payment_cursors_are_reported,
);
