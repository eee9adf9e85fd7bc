//! Several replicas started at the same moment on one fresh database all come
//! up; migrations are applied once, and exactly one of them creates and
//! prints the first key.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::time::Duration;

use customerd::db::entities::api_key;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use sea_orm::{EntityTrait, PaginatorTrait};
use sea_orm_migration::MigratorTrait;

use crate::backend_tests;
use crate::helpers::{Backend, authed, fresh_database};
use crate::process::customerd;

const REPLICAS: usize = 4;
const ROUNDS: usize = 3;

/// What one replica printed before it listened.
struct Started {
    /// Held so the replica runs until the round ends.
    _child: Replica,
    grpc: String,
    first_key: Option<String>,
}

/// A replica's process, killed when the test lets go of it, pass or fail.
struct Replica(Child);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `REPLICAS` servers held at a barrier (each waits for a line on its
/// stdin before it runs), releases them together, and waits for each to listen.
async fn start_together(url: &str) -> Vec<Started> {
    let mut held: Vec<Replica> = (0..REPLICAS)
        .map(|_| {
            let server = customerd();
            let mut barrier = std::process::Command::new("sh");
            barrier
                .arg("-c")
                .arg(r#"read _ && exec "$0" "$@""#)
                .arg(server.get_program())
                .args(["serve", "--database-url", url])
                .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
                .envs(server.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .env_remove("DATABASE_URL")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map(Replica)
                .expect("start a replica")
        })
        .collect();
    for Replica(child) in &mut held {
        let stdin = child.stdin.as_mut().expect("piped stdin");
        stdin.write_all(b"go\n").expect("release the replica");
    }
    let mut started = Vec::new();
    for mut child in held {
        let stdout = child.0.stdout.take().expect("piped stdout");
        let read = tokio::task::spawn_blocking(move || {
            let mut first_key = None;
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let line = line.ok()?;
                if line.starts_with("sk_test_") {
                    first_key = Some(line);
                } else if let Some(rest) = line.strip_prefix("Listening: grpc=") {
                    let grpc = rest.split_whitespace().next()?.to_owned();
                    std::thread::spawn(move || lines.for_each(drop));
                    return Some((grpc, first_key));
                }
            }
            None
        });
        let outcome = tokio::time::timeout(Duration::from_secs(90), read)
            .await
            .expect("every replica starts within 90 s")
            .expect("the reader finishes");
        let Some((grpc, first_key)) = outcome else {
            let status = child.0.wait().expect("wait for the replica");
            panic!("a replica exited instead of serving: {status}");
        };
        started.push(Started {
            _child: child,
            grpc: format!("http://{grpc}"),
            first_key,
        });
    }
    started
}

async fn replicas_started_together_all_serve_and_make_one_first_key(backend: Backend) {
    for _ in 0..ROUNDS {
        let url = fresh_database(backend).await;
        let replicas = start_together(&url).await;
        let keys: Vec<String> = replicas
            .iter()
            .filter_map(|r| r.first_key.clone())
            .collect();
        assert_eq!(keys.len(), 1, "exactly one replica prints the first key");
        for replica in &replicas {
            let mut client = CustomerServiceClient::connect(replica.grpc.clone())
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
