//! What CustomerService refuses over gRPC: every invalid field of a create
//! or update at once, with its request path and reason, and invalid paging.

use std::collections::{BTreeMap, BTreeSet};

use customerd::proto::customers::v1 as pb;
use prost_types::Timestamp;

use crate::backend_tests;
use crate::customer_lists::list;
use crate::customers::{create, full_create, mask};
use crate::helpers::{Backend, authed, reasons, spawn_app, violations};

async fn create_reports_every_invalid_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut metadata: BTreeMap<String, String> =
        (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    metadata.insert("k".repeat(41), "v".into());
    metadata.insert("long_value".into(), "x".repeat(501));
    let err = app
        .customers()
        .await
        .create_customer(authed(
            &app.key,
            pb::CreateCustomerRequest {
                email: Some("not-an-email".into()),
                name: Some("n".repeat(257)),
                phone: Some("1".repeat(65)),
                description: Some("d".repeat(1001)),
                metadata,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let got: BTreeSet<(String, String)> = violations(&err).into_iter().collect();
    let long_key = format!("metadata.{}", "k".repeat(41));
    let want: BTreeSet<(String, String)> = [
        ("email", "is not a valid email address"),
        ("name", "must be at most 256 characters"),
        ("phone", "must be at most 64 characters"),
        ("description", "must be at most 1000 characters"),
        ("metadata", "must have at most 50 keys"),
        (long_key.as_str(), "key must be at most 40 characters"),
        (
            "metadata.long_value",
            "value must be at most 500 characters",
        ),
    ]
    .into_iter()
    .map(|(f, d)| (f.to_owned(), d.to_owned()))
    .collect();
    assert_eq!(got, want);
    let got_reasons: BTreeSet<(String, String)> = reasons(&err).into_iter().collect();
    let want_reasons: BTreeSet<(String, String)> = [
        ("email", "INVALID_EMAIL"),
        ("name", "TOO_LONG"),
        ("phone", "TOO_LONG"),
        ("description", "TOO_LONG"),
        ("metadata", "TOO_MANY_KEYS"),
        (long_key.as_str(), "TOO_LONG"),
        ("metadata.long_value", "TOO_LONG"),
    ]
    .into_iter()
    .map(|(f, d)| (f.to_owned(), d.to_owned()))
    .collect();
    assert_eq!(got_reasons, want_reasons);

    let too_long_email = format!("{}@example.com", "a".repeat(250));
    let err = app
        .customers()
        .await
        .create_customer(authed(
            &app.key,
            pb::CreateCustomerRequest {
                email: Some(too_long_email),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec![(
            "email".to_owned(),
            "must be at most 254 characters".to_owned()
        )]
    );
    // Nothing was stored by the failed calls.
    assert!(
        list(&app, pb::ListCustomersRequest::default())
            .await
            .customers
            .is_empty()
    );
}

async fn update_reports_invalid_fields_with_their_request_paths(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(&app, full_create()).await;
    let err = app
        .customers()
        .await
        .update_customer(authed(
            &app.key,
            pb::UpdateCustomerRequest {
                validate_only: false,
                id: created.id,
                customer: Some(pb::CustomerUpdate {
                    email: Some("bad@".into()),
                    metadata: BTreeMap::from([("plan".into(), "x".repeat(501))]),
                    ..Default::default()
                }),
                update_mask: mask(&["email", "metadata.plan", "nickname"]),
            },
        ))
        .await
        .unwrap_err();
    let got: BTreeSet<(String, String)> = violations(&err).into_iter().collect();
    let want: BTreeSet<(String, String)> = [
        ("customer.email", "is not a valid email address"),
        (
            "customer.metadata.plan",
            "value must be at most 500 characters",
        ),
        ("update_mask", "unknown field path 'nickname'"),
    ]
    .into_iter()
    .map(|(f, d)| (f.to_owned(), d.to_owned()))
    .collect();
    assert_eq!(got, want);
}

async fn list_reports_invalid_paging(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = create(&app, full_create()).await;
    let mut client = app.customers().await;
    let cases: Vec<(pb::ListCustomersRequest, Vec<(&str, &str)>)> = vec![
        (
            pb::ListCustomersRequest {
                limit: 1001,
                ..Default::default()
            },
            vec![("limit", "must be between 1 and 1000")],
        ),
        (
            pb::ListCustomersRequest {
                limit: -1,
                ..Default::default()
            },
            vec![("limit", "must be between 1 and 1000")],
        ),
        (
            pb::ListCustomersRequest {
                starting_after: a.id.clone(),
                ending_before: a.id.clone(),
                ..Default::default()
            },
            vec![(
                "ending_before",
                "starting_after and ending_before are mutually exclusive",
            )],
        ),
        (
            pb::ListCustomersRequest {
                starting_after: a.id.clone(),
                offset: 5,
                ..Default::default()
            },
            vec![("offset", "offset cannot be combined with a cursor")],
        ),
        (
            pb::ListCustomersRequest {
                offset: -3,
                ..Default::default()
            },
            vec![("offset", "must not be negative")],
        ),
        (
            pb::ListCustomersRequest {
                starting_after: "cus_doesnotexist".into(),
                ..Default::default()
            },
            vec![("starting_after", "no such customer: 'cus_doesnotexist'")],
        ),
        (
            pb::ListCustomersRequest {
                ending_before: "cus_doesnotexist".into(),
                ..Default::default()
            },
            vec![("ending_before", "no such customer: 'cus_doesnotexist'")],
        ),
        (
            pb::ListCustomersRequest {
                created_gte: Some(Timestamp {
                    seconds: 0,
                    nanos: -1,
                }),
                ..Default::default()
            },
            vec![("created_gte", "nanos must be between 0 and 999999999")],
        ),
    ];
    for (req, want) in cases {
        let err = client
            .list_customers(authed(&app.key, req.clone()))
            .await
            .unwrap_err();
        let want: Vec<(String, String)> = want
            .into_iter()
            .map(|(f, d)| (f.to_owned(), d.to_owned()))
            .collect();
        assert_eq!(violations(&err), want, "{req:?}");
    }
}

backend_tests!(
    create_reports_every_invalid_field,
    update_reports_invalid_fields_with_their_request_paths,
    list_reports_invalid_paging,
);
