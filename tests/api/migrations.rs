//! Every migration can be undone and applied again, on every backend.

use customerd::db::{self, Migrator};
use sea_orm_migration::MigratorTrait;

use crate::backend_tests;
use crate::helpers::{Backend, fresh_database};

async fn migrations_roll_back_and_apply_again(backend: Backend) {
    let url = fresh_database(backend).await;
    let conn = db::connect(&url, None).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let applied = Migrator::get_applied_migrations(&conn).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len());
    Migrator::down(&conn, None)
        .await
        .expect("every migration rolls back");
    assert!(
        Migrator::get_applied_migrations(&conn)
            .await
            .unwrap()
            .is_empty()
    );
    db::migrate(&conn).await.expect("and applies again");
    let key = customerd::auth::create_key(&conn, "acme", customerd::auth::Mode::Test)
        .await
        .expect("the schema works");
    assert!(key.secret.starts_with("sk_test_"));
    conn.close().await.unwrap();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .and_then(|r| r.split('?').next())
    {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

backend_tests!(migrations_roll_back_and_apply_again);
