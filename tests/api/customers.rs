//! CustomerService over gRPC: every RPC, update semantics, pagination,
//! isolation, validation and concurrent writers, on every backend.

use std::collections::{BTreeMap, BTreeSet};

use customerd::auth::Mode;
use customerd::proto::customers::v1 as pb;
use prost_types::{FieldMask, Timestamp};
use tonic::Code;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, reasons, spawn_app, violations};

fn full_create() -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        email: Some("customer@example.com".into()),
        name: Some("John Doe".into()),
        phone: Some("0241234567".into()),
        description: Some("Premium customer".into()),
        metadata: BTreeMap::from([("user_id".into(), "123".into())]),
    }
}

async fn create(app: &TestApp, req: pb::CreateCustomerRequest) -> pb::Customer {
    app.customers()
        .await
        .create_customer(authed(&app.key, req))
        .await
        .expect("create succeeds")
        .into_inner()
        .customer
        .expect("customer in response")
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn seconds(ts: &Option<Timestamp>) -> i64 {
    ts.as_ref().expect("timestamp set").seconds
}

async fn create_returns_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let c = create(&app, full_create()).await;

    assert!(c.id.starts_with("cus_") && c.id.len() == 28, "{}", c.id);
    assert_eq!(c.email.as_deref(), Some("customer@example.com"));
    assert_eq!(c.name.as_deref(), Some("John Doe"));
    assert_eq!(c.phone.as_deref(), Some("0241234567"));
    assert_eq!(c.description.as_deref(), Some("Premium customer"));
    assert_eq!(
        c.metadata,
        BTreeMap::from([("user_id".into(), "123".into())])
    );
    assert!(!c.live);
    assert!((before..=before + 5).contains(&seconds(&c.created_at)));
    assert_eq!(c.created_at, c.updated_at);
}

async fn create_with_nothing_gives_nulls(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = create(&app, pb::CreateCustomerRequest::default()).await;
    assert_eq!(c.email, None);
    assert_eq!(c.name, None);
    assert_eq!(c.phone, None);
    assert_eq!(c.description, None);
    assert!(c.metadata.is_empty());
}

async fn get_returns_what_create_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(&app, full_create()).await;
    let fetched = app
        .customers()
        .await
        .get_customer(authed(
            &app.key,
            pb::GetCustomerRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(fetched, created);
}

async fn get_unknown_id_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let err = app
        .customers()
        .await
        .get_customer(authed(
            &app.key,
            pb::GetCustomerRequest {
                id: "cus_000000000000000000000000".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        err.message(),
        "no such customer: 'cus_000000000000000000000000'"
    );
}

async fn update_without_mask_sets_given_fields_and_merges_metadata(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(&app, full_create()).await;
    let updated = app
        .customers()
        .await
        .update_customer(authed(
            &app.key,
            pb::UpdateCustomerRequest {
                id: created.id.clone(),
                customer: Some(pb::CustomerUpdate {
                    name: Some("Jane Doe".into()),
                    metadata: BTreeMap::from([
                        ("vip".into(), "true".into()),
                        ("user_id".into(), String::new()),
                    ]),
                    ..Default::default()
                }),
                update_mask: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.name.as_deref(), Some("Jane Doe"));
    // Omitted fields keep their values.
    assert_eq!(updated.email, created.email);
    assert_eq!(updated.phone, created.phone);
    assert_eq!(updated.description, created.description);
    // Metadata merges; an empty value removes the key.
    assert_eq!(
        updated.metadata,
        BTreeMap::from([("vip".into(), "true".into())])
    );
    assert_eq!(updated.created_at, created.created_at);
    let (before, after) = (created.updated_at.unwrap(), updated.updated_at.unwrap());
    assert!((after.seconds, after.nanos) > (before.seconds, before.nanos));
}

async fn update_with_mask_clears_named_fields_and_keeps_the_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut req = full_create();
    req.metadata.insert("plan".into(), "gold".into());
    req.metadata.insert("region".into(), "eu".into());
    let created = create(&app, req).await;
    let updated = app
        .customers()
        .await
        .update_customer(authed(
            &app.key,
            pb::UpdateCustomerRequest {
                id: created.id.clone(),
                customer: Some(pb::CustomerUpdate {
                    // In the mask with no value: cleared.
                    phone: None,
                    // Not in the mask: ignored although given.
                    name: Some("Ignored".into()),
                    email: Some("new@example.com".into()),
                    metadata: BTreeMap::from([("plan".into(), "platinum".into())]),
                    ..Default::default()
                }),
                update_mask: mask(&["phone", "email", "metadata.plan", "metadata.region"]),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(updated.phone, None);
    assert_eq!(updated.email.as_deref(), Some("new@example.com"));
    assert_eq!(updated.name.as_deref(), Some("John Doe"));
    assert_eq!(updated.description.as_deref(), Some("Premium customer"));
    assert_eq!(
        updated.metadata,
        BTreeMap::from([
            ("user_id".into(), "123".into()),
            ("plan".into(), "platinum".into()),
        ])
    );

    // `metadata` in the mask replaces the whole map; empty clears it.
    let cleared = app
        .customers()
        .await
        .update_customer(authed(
            &app.key,
            pb::UpdateCustomerRequest {
                id: created.id.clone(),
                customer: Some(pb::CustomerUpdate::default()),
                update_mask: mask(&["metadata"]),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert!(cleared.metadata.is_empty());
    assert_eq!(cleared.email.as_deref(), Some("new@example.com"));

    // The stored state is what the responses said.
    let fetched = app
        .customers()
        .await
        .get_customer(authed(&app.key, pb::GetCustomerRequest { id: created.id }))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(fetched, cleared);
}

async fn update_unknown_id_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let err = app
        .customers()
        .await
        .update_customer(authed(
            &app.key,
            pb::UpdateCustomerRequest {
                id: "cus_missing".into(),
                customer: Some(pb::CustomerUpdate {
                    name: Some("x".into()),
                    ..Default::default()
                }),
                update_mask: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

async fn update_beyond_fifty_metadata_keys_is_rejected_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut req = full_create();
    req.metadata = (0..50).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let created = create(&app, req).await;
    let err = app
        .customers()
        .await
        .update_customer(authed(
            &app.key,
            pb::UpdateCustomerRequest {
                id: created.id.clone(),
                customer: Some(pb::CustomerUpdate {
                    name: Some("Changed".into()),
                    metadata: BTreeMap::from([("one_more".into(), "v".into())]),
                    ..Default::default()
                }),
                update_mask: None,
            },
        ))
        .await
        .unwrap_err();
    let v = violations(&err);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].0, "customer.metadata");
    assert!(
        v[0].1.starts_with("must have at most 50 keys"),
        "{}",
        v[0].1
    );
    let fetched = app
        .customers()
        .await
        .get_customer(authed(
            &app.key,
            pb::GetCustomerRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(fetched, created);
}

async fn delete_returns_the_customer_and_then_it_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(&app, full_create()).await;
    let mut client = app.customers().await;
    let deleted = client
        .delete_customer(authed(
            &app.key,
            pb::DeleteCustomerRequest {
                id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(deleted.id, created.id);
    assert_eq!(deleted.email, created.email);
    assert_eq!(deleted.metadata, created.metadata);
    for code in [
        client
            .get_customer(authed(
                &app.key,
                pb::GetCustomerRequest {
                    id: created.id.clone(),
                },
            ))
            .await
            .unwrap_err()
            .code(),
        client
            .delete_customer(authed(
                &app.key,
                pb::DeleteCustomerRequest {
                    id: created.id.clone(),
                },
            ))
            .await
            .unwrap_err()
            .code(),
    ] {
        assert_eq!(code, Code::NotFound);
    }
    let list = client
        .list_customers(authed(&app.key, pb::ListCustomersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(list.customers.is_empty());
}

async fn list(app: &TestApp, req: pb::ListCustomersRequest) -> pb::ListCustomersResponse {
    app.customers()
        .await
        .list_customers(authed(&app.key, req))
        .await
        .expect("list succeeds")
        .into_inner()
}

/// Creates `n` customers, returning their ids newest first.
async fn create_many(app: &TestApp, n: usize, email: impl Fn(usize) -> String) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let c = create(
            app,
            pb::CreateCustomerRequest {
                email: Some(email(i)),
                name: Some(format!("Customer {i}")),
                ..Default::default()
            },
        )
        .await;
        ids.push(c.id);
    }
    ids.reverse();
    ids
}

fn ids(resp: &pb::ListCustomersResponse) -> Vec<String> {
    resp.customers.iter().map(|c| c.id.clone()).collect()
}

async fn list_walks_forward_and_back_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let expected = create_many(&app, 25, |i| format!("c{i}@example.com")).await;

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = list(
            &app,
            pb::ListCustomersRequest {
                limit: 10,
                starting_after: cursor.clone(),
                include_total_count: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(page.total_count, Some(25));
        seen.extend(ids(&page));
        pages.push((page.customers.len(), page.has_more));
        if !page.has_more {
            break;
        }
        cursor = page.customers.last().unwrap().id.clone();
    }
    assert_eq!(pages, vec![(10, true), (10, true), (5, false)]);
    assert_eq!(seen, expected, "every customer once, newest first");

    // And back again from the oldest.
    let mut back = Vec::new();
    let mut cursor = expected.last().unwrap().clone();
    let mut back_pages = Vec::new();
    loop {
        let page = list(
            &app,
            pb::ListCustomersRequest {
                limit: 10,
                ending_before: cursor.clone(),
                ..Default::default()
            },
        )
        .await;
        let page_ids = ids(&page);
        back_pages.push((page_ids.len(), page.has_more));
        back.splice(0..0, page_ids);
        if !page.has_more {
            break;
        }
        cursor = page.customers.first().unwrap().id.clone();
    }
    assert_eq!(back_pages, vec![(10, true), (10, true), (4, false)]);
    assert_eq!(back, expected[..24].to_vec());

    // Offset pagination sees the same order.
    let page = list(
        &app,
        pb::ListCustomersRequest {
            limit: 10,
            offset: 20,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&page), expected[20..].to_vec());
    assert!(!page.has_more);
}

async fn list_filters_by_email_and_created_range_with_cursors(backend: Backend) {
    let app = spawn_app(backend).await;
    // Every third customer shares one address.
    let all = create_many(&app, 12, |i| {
        if i % 3 == 0 {
            "shared@example.com".to_owned()
        } else {
            format!("other{i}@example.com")
        }
    })
    .await;
    let shared: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(pos, _)| (11 - pos) % 3 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(shared.len(), 4);

    let first = list(
        &app,
        pb::ListCustomersRequest {
            limit: 2,
            email: Some("shared@example.com".into()),
            include_total_count: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&first), shared[..2].to_vec());
    assert!(first.has_more);
    assert_eq!(first.total_count, Some(4));
    let second = list(
        &app,
        pb::ListCustomersRequest {
            limit: 2,
            email: Some("shared@example.com".into()),
            starting_after: shared[1].clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(ids(&second), shared[2..].to_vec());
    assert!(!second.has_more);

    // The created range of the 4th..9th newest customers, walked with a cursor.
    let mut client = app.customers().await;
    let mut created = Vec::new();
    for id in &all {
        let c = client
            .get_customer(authed(&app.key, pb::GetCustomerRequest { id: id.clone() }))
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap();
        created.push(c.created_at.unwrap());
    }
    let range = pb::ListCustomersRequest {
        limit: 4,
        created_lte: Some(created[3]),
        created_gte: Some(created[8]),
        ..Default::default()
    };
    let page1 = list(&app, range.clone()).await;
    assert_eq!(ids(&page1), all[3..7].to_vec());
    assert!(page1.has_more);
    let page2 = list(
        &app,
        pb::ListCustomersRequest {
            starting_after: all[6].clone(),
            ..range.clone()
        },
    )
    .await;
    assert_eq!(ids(&page2), all[7..9].to_vec());
    assert!(!page2.has_more);
    let back = list(
        &app,
        pb::ListCustomersRequest {
            ending_before: all[7].clone(),
            ..range
        },
    )
    .await;
    assert_eq!(ids(&back), all[3..7].to_vec());
    assert!(!back.has_more);
}

async fn accounts_and_modes_are_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let theirs = create(&app, full_create()).await;
    let mut client = app.customers().await;
    let other_account = app.key_for("globex", Mode::Test).await;
    let live_same_account = app.key_for("acme", Mode::Live).await;

    for key in [&other_account, &live_same_account] {
        let get = client
            .get_customer(authed(
                key,
                pb::GetCustomerRequest {
                    id: theirs.id.clone(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(get.code(), Code::NotFound);
        assert_eq!(get.message(), format!("no such customer: '{}'", theirs.id));
        let update = client
            .update_customer(authed(
                key,
                pb::UpdateCustomerRequest {
                    id: theirs.id.clone(),
                    customer: Some(pb::CustomerUpdate {
                        name: Some("Hijacked".into()),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(update.code(), Code::NotFound);
        let delete = client
            .delete_customer(authed(
                key,
                pb::DeleteCustomerRequest {
                    id: theirs.id.clone(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(delete.code(), Code::NotFound);
        let listed = client
            .list_customers(authed(
                key,
                pb::ListCustomersRequest {
                    include_total_count: true,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(listed.customers.is_empty());
        assert_eq!(listed.total_count, Some(0));
        // Another tenant's id is not a usable cursor either.
        let cursor = client
            .list_customers(authed(
                key,
                pb::ListCustomersRequest {
                    starting_after: theirs.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(violations(&cursor)[0].0, "starting_after");
    }

    // A live key's customers are live and unseen by the test key.
    let live = client
        .create_customer(authed(
            &live_same_account,
            pb::CreateCustomerRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert!(live.live);
    let test_view = list(&app, pb::ListCustomersRequest::default()).await;
    assert_eq!(ids(&test_view), vec![theirs.id.clone()]);

    // The owner still sees its customer untouched.
    let fetched = client
        .get_customer(authed(
            &app.key,
            pb::GetCustomerRequest {
                id: theirs.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(fetched, theirs);
}

async fn missing_or_unknown_key_is_unauthenticated(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = app.customers().await;
    let missing = client
        .list_customers(tonic::Request::new(pb::ListCustomersRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
    for bad in [
        "sk_test_0000000000000000000000000000000000000000",
        "nonsense",
    ] {
        let err = client
            .get_customer(authed(bad, pb::GetCustomerRequest { id: "cus_x".into() }))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
        assert_eq!(err.message(), "invalid API key");
    }
    // x-api-key works as well as a bearer token.
    let mut req = tonic::Request::new(pb::ListCustomersRequest::default());
    req.metadata_mut()
        .insert("x-api-key", app.key.parse().unwrap());
    client
        .list_customers(req)
        .await
        .expect("x-api-key accepted");
}

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

async fn concurrent_metadata_updates_lose_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(&app, pb::CreateCustomerRequest::default()).await;
    let channel = app.channel().await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let mut client =
            customerd::proto::customers::v1::customer_service_client::CustomerServiceClient::new(
                channel.clone(),
            );
        let req = authed(
            &app.key,
            pb::UpdateCustomerRequest {
                id: created.id.clone(),
                customer: Some(pb::CustomerUpdate {
                    metadata: BTreeMap::from([(format!("key{i}"), format!("value{i}"))]),
                    ..Default::default()
                }),
                update_mask: None,
            },
        );
        tasks.push(tokio::spawn(
            async move { client.update_customer(req).await },
        ));
    }
    for task in tasks {
        task.await
            .unwrap()
            .expect("every concurrent update succeeds");
    }
    let fetched = app
        .customers()
        .await
        .get_customer(authed(&app.key, pb::GetCustomerRequest { id: created.id }))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let want: BTreeMap<String, String> = (0..50)
        .map(|i| (format!("key{i}"), format!("value{i}")))
        .collect();
    assert_eq!(fetched.metadata, want);
}

backend_tests!(
    create_returns_every_field,
    create_with_nothing_gives_nulls,
    get_returns_what_create_stored,
    get_unknown_id_is_not_found,
    update_without_mask_sets_given_fields_and_merges_metadata,
    update_with_mask_clears_named_fields_and_keeps_the_rest,
    update_unknown_id_is_not_found,
    update_beyond_fifty_metadata_keys_is_rejected_and_changes_nothing,
    delete_returns_the_customer_and_then_it_is_gone,
    list_walks_forward_and_back_exactly_once,
    list_filters_by_email_and_created_range_with_cursors,
    accounts_and_modes_are_isolated,
    missing_or_unknown_key_is_unauthenticated,
    create_reports_every_invalid_field,
    update_reports_invalid_fields_with_their_request_paths,
    list_reports_invalid_paging,
    concurrent_metadata_updates_lose_nothing,
);
