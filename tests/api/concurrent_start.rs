//! Several replicas started at the same moment on one fresh database all come
//! up; migrations are applied once, and exactly one of them creates and
//! prints the first key.

use customerd::db::entities::api_key;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use sea_orm::{EntityTrait, PaginatorTrait};
use sea_orm_migration::MigratorTrait;

use crate::backend_tests;
use crate::helpers::{Backend, authed, fresh_database};
use crate::process::start_together;

const REPLICAS: usize = 4;
const ROUNDS: usize = 3;

async fn replicas_started_together_all_serve_and_make_one_first_key(backend: Backend) {
    for _ in 0..ROUNDS {
        let url = fresh_database(backend).await;
        let replicas = start_together(&url, REPLICAS).await;
        let keys: Vec<String> = replicas
            .iter()
            .filter_map(|r| r.first_key.clone())
            .collect();
        assert_eq!(keys.len(), 1, "exactly one replica prints the first key");
        for replica in &replicas {
            let mut client = CustomerServiceClient::connect(replica.grpc_url())
                .await
                .expect("the replica serves");
            client
                .list_customers(authed(&keys[0], pb::ListCustomersRequest::default()))
                .await
                .expect("the first key works on every replica");
        }
        let db = customerd::db::connect(&url, None).await.unwrap();
        assert_eq!(api_key::Entity::find().count(&db).await.unwrap(), 1);
        let applied = customerd::db::Migrator::get_applied_migrations(&db)
            .await
            .unwrap();
        assert_eq!(applied.len(), customerd::db::Migrator::migrations().len());
        db.close().await.ok();
        drop(replicas);
    }
}

backend_tests!(replicas_started_together_all_serve_and_make_one_first_key);
