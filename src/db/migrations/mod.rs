//! Schema migrations, applied in order at start and by `customerd migrate`.

use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager};

mod m20261122_000001_create_accounts_and_keys;
mod m20261122_000002_create_customers;
mod m20261122_000003_create_payments_and_subscriptions;
mod m20261122_000004_create_idempotency_keys;
mod m20261123_000005_key_lifecycle;
mod m20261123_000006_customer_counts;
mod m20261123_000007_customer_text_search;
mod m20261123_000008_events;
mod m20261124_000009_webhooks;
mod m20261124_000010_events_time_index;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_accounts_and_keys::Migration),
            Box::new(m20261122_000002_create_customers::Migration),
            Box::new(m20261122_000003_create_payments_and_subscriptions::Migration),
            Box::new(m20261122_000004_create_idempotency_keys::Migration),
            Box::new(m20261123_000005_key_lifecycle::Migration),
            Box::new(m20261123_000006_customer_counts::Migration),
            Box::new(m20261123_000007_customer_text_search::Migration),
            Box::new(m20261123_000008_events::Migration),
            Box::new(m20261124_000009_webhooks::Migration),
            Box::new(m20261124_000010_events_time_index::Migration),
        ]
    }
}

/// MySQL and MariaDB compare strings case-insensitively, and ignoring trailing
/// spaces, by default; ids, emails and metadata keys must compare exactly as
/// on the other backends. MariaDB and MySQL 8 name that collation differently.
async fn exact_collation(
    manager: &SchemaManager<'_>,
    table: &mut TableCreateStatement,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::MySql {
        return Ok(());
    }
    let version: String = manager
        .get_connection()
        .query_one_raw(Statement::from_string(
            DatabaseBackend::MySql,
            "SELECT VERSION()",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("SELECT VERSION() returned no row".to_owned()))?
        .try_get_by_index(0)?;
    let collation = if version.contains("MariaDB") {
        "utf8mb4_nopad_bin"
    } else {
        "utf8mb4_0900_bin"
    };
    table.character_set("utf8mb4").collate(collation);
    Ok(())
}
