//! Many clients updating a few customers at once: each update touches one
//! customer, but the server commits concurrent writes in groups, and groups
//! that lock the same customers in different orders can deadlock. Every
//! update must still succeed, and the last value each client wrote must be
//! the one stored.

use std::collections::BTreeMap;

use customerd::proto::customers::v1 as pb;

use crate::backend_tests;
use crate::helpers::{Backend, authed, spawn_app};

const CLIENTS: usize = 32;
const UPDATES_EACH: usize = 40;
const CUSTOMERS: usize = 3;

async fn concurrent_updates_of_few_customers_all_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = app.customers().await;
    let mut ids = Vec::new();
    for _ in 0..CUSTOMERS {
        let created = client
            .create_customer(authed(&app.key, pb::CreateCustomerRequest::default()))
            .await
            .expect("created")
            .into_inner();
        ids.push(created.customer.unwrap().id);
    }
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (mut client, key, ids) = (app.customers().await, app.key.clone(), ids.clone());
        clients.push(tokio::spawn(async move {
            for n in 0..UPDATES_EACH {
                // Each client walks the customers in its own order.
                let id = &ids[(n + c) % CUSTOMERS];
                let request = pb::UpdateCustomerRequest {
                    id: id.clone(),
                    customer: Some(pb::CustomerUpdate {
                        metadata: BTreeMap::from([(format!("c{c}"), n.to_string())]),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                if let Err(status) = client.update_customer(authed(&key, request)).await {
                    panic!("client {c}, update {n} of {id}: {status:?}");
                }
            }
        }));
    }
    for client in clients {
        client.await.expect("every update succeeded");
    }
    for (i, id) in ids.iter().enumerate() {
        let customer = client
            .get_customer(authed(&app.key, pb::GetCustomerRequest { id: id.clone() }))
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap();
        for c in 0..CLIENTS {
            // The last update client `c` made to customer `i`.
            let last = (0..UPDATES_EACH).rev().find(|n| (n + c) % CUSTOMERS == i);
            assert_eq!(
                customer.metadata.get(&format!("c{c}")),
                last.map(|n| n.to_string()).as_ref(),
                "customer {i}, client {c}"
            );
        }
    }
}

backend_tests!(concurrent_updates_of_few_customers_all_succeed);
