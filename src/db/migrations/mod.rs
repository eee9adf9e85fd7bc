//! Schema migrations, applied in order at start and by `customerd migrate`.

use sea_orm::DatabaseBackend;
use sea_orm::sea_query::TableCreateStatement;
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager};

mod m20261122_000001_create_accounts_and_keys;
mod m20261122_000002_create_customers;
mod m20261122_000003_create_payments_and_subscriptions;
mod m20261122_000004_create_idempotency_keys;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_accounts_and_keys::Migration),
            Box::new(m20261122_000002_create_customers::Migration),
            Box::new(m20261122_000003_create_payments_and_subscriptions::Migration),
            Box::new(m20261122_000004_create_idempotency_keys::Migration),
        ]
    }
}

/// MySQL and MariaDB compare strings case-insensitively by default; ids, emails
/// and metadata keys must compare exactly as on the other backends.
fn exact_collation(manager: &SchemaManager, table: &mut TableCreateStatement) {
    if manager.get_database_backend() == DatabaseBackend::MySql {
        table.character_set("utf8mb4").collate("utf8mb4_bin");
    }
}
