//! A SQLite server keeps customers in memory only while no other server can
//! write: a read never returns data older than a write acknowledged before it,
//! whichever server acknowledged it.

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{Backend, authed, fresh_database, spawn_app};
use crate::process::{ServerProcess, run_ok};

async fn rename(client: &mut CustomerServiceClient<Channel>, key: &str, id: &str, name: &str) {
    client
        .update_customer(authed(
            key,
            pb::UpdateCustomerRequest {
                validate_only: false,
                id: id.to_owned(),
                customer: Some(pb::CustomerUpdate {
                    name: Some(name.to_owned()),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["name".into()],
                }),
            },
        ))
        .await
        .expect("update succeeds");
}

async fn name_of(client: &mut CustomerServiceClient<Channel>, key: &str, id: &str) -> String {
    client
        .get_customer(authed(key, pb::GetCustomerRequest { id: id.to_owned() }))
        .await
        .expect("get succeeds")
        .into_inner()
        .customer
        .and_then(|c| c.name)
        .unwrap_or_default()
}

#[tokio::test]
async fn reads_follow_every_write_on_a_sole_server() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut client = app.customers().await;
    let id = client
        .create_customer(authed(&app.key, pb::CreateCustomerRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap()
        .id;
    for round in 0..50 {
        let name = format!("name {round}");
        rename(&mut client, &app.key, &id, &name).await;
        // Twice: the second read may come from memory.
        assert_eq!(name_of(&mut client, &app.key, &id).await, name);
        assert_eq!(name_of(&mut client, &app.key, &id).await, name);
    }
    let other = app.key_for("globex", customerd::auth::Mode::Test).await;
    let err = client
        .get_customer(authed(&other, pb::GetCustomerRequest { id: id.clone() }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "a copy is its tenant's only");
    client
        .delete_customer(authed(
            &app.key,
            pb::DeleteCustomerRequest { id: id.clone() },
        ))
        .await
        .unwrap();
    let err = client
        .get_customer(authed(&app.key, pb::GetCustomerRequest { id }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn two_servers_of_one_file_never_read_each_others_writes_late() {
    let url = fresh_database(Backend::Sqlite).await;
    let key = run_ok(&url, &["keys", "create"]).trim().to_owned();
    let first = ServerProcess::start(&url, &[]).await;
    let mut a = CustomerServiceClient::connect(first.grpc_url())
        .await
        .unwrap();
    let id = a
        .create_customer(authed(&key, pb::CreateCustomerRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap()
        .id;
    rename(&mut a, &key, &id, "first").await;
    // Read twice, so the first server holds a copy.
    assert_eq!(name_of(&mut a, &key, &id).await, "first");
    assert_eq!(name_of(&mut a, &key, &id).await, "first");

    let second = ServerProcess::start(&url, &[]).await;
    let mut b = CustomerServiceClient::connect(second.grpc_url())
        .await
        .unwrap();
    for round in 0..20 {
        let name = format!("second {round}");
        rename(&mut b, &key, &id, &name).await;
        assert_eq!(name_of(&mut a, &key, &id).await, name);
        let name = format!("first {round}");
        rename(&mut a, &key, &id, &name).await;
        assert_eq!(name_of(&mut b, &key, &id).await, name);
    }
}
