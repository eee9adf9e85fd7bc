//! Who may use a customer over gRPC: accounts and modes are isolated from
//! each other, and calls without a valid key are unauthenticated.

use customerd::auth::Mode;
use customerd::proto::customers::v1 as pb;
use tonic::Code;

use crate::backend_tests;
use crate::customer_lists::{ids, list};
use crate::customers::{create, full_create};
use crate::helpers::{Backend, authed, spawn_app, violations};

async fn another_account_or_mode_cannot_reach_a_customer(backend: Backend) {
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
                    validate_only: false,
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

async fn a_live_keys_customers_are_live_and_unseen_by_the_test_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let theirs = create(&app, full_create()).await;
    let mut client = app.customers().await;
    let live_same_account = app.key_for("acme", Mode::Live).await;

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

backend_tests!(
    another_account_or_mode_cannot_reach_a_customer,
    a_live_keys_customers_are_live_and_unseen_by_the_test_key,
    missing_or_unknown_key_is_unauthenticated,
);
