//! CustomerService over gRPC: every RPC, update semantics and concurrent
//! writers, on every backend. Lists are in `customer_lists`, isolation and
//! keys in `customer_access`, validation in `customer_validation`.

use std::collections::BTreeMap;

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use prost_types::{FieldMask, Timestamp};
use tonic::Code;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, spawn_app, violations};

/// A create request with every field set.
pub fn full_create() -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        email: Some("customer@example.com".into()),
        name: Some("John Doe".into()),
        phone: Some("0241234567".into()),
        description: Some("Premium customer".into()),
        metadata: BTreeMap::from([("user_id".into(), "123".into())]),
        ..Default::default()
    }
}

/// Creates a customer with the app's key.
pub async fn create(app: &TestApp, req: pb::CreateCustomerRequest) -> pb::Customer {
    app.customers()
        .await
        .create_customer(authed(&app.key, req))
        .await
        .expect("create succeeds")
        .into_inner()
        .customer
        .expect("customer in response")
}

pub fn mask(paths: &[&str]) -> Option<FieldMask> {
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
    let fetched = app.get_customer(&created.id).await.unwrap();
    assert_eq!(fetched, created);
}

async fn get_unknown_id_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let err = app
        .get_customer("cus_000000000000000000000000")
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
                validate_only: false,
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
                validate_only: false,
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
                validate_only: false,
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
    let fetched = app.get_customer(&created.id).await.unwrap();
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
                validate_only: false,
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
                validate_only: false,
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
    let fetched = app.get_customer(&created.id).await.unwrap();
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

async fn concurrent_metadata_updates_lose_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = create(&app, pb::CreateCustomerRequest::default()).await;
    let channel = app.channel().await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        // One connection shared by every writer.
        let mut client = CustomerServiceClient::new(channel.clone());
        let req = authed(
            &app.key,
            pb::UpdateCustomerRequest {
                validate_only: false,
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
    let fetched = app.get_customer(&created.id).await.unwrap();
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
    concurrent_metadata_updates_lose_nothing,
);
