//! Schema migrations, applied in order at start and by `customerd migrate`.

use sea_orm::sea_query::{
    Alias, ColumnDef, Index, IndexCreateStatement, IntoIden, IntoTableRef, Table,
    TableCreateStatement,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager};

use crate::db::indexes::KeysetIndex;

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

/// Creates `table` with the exact collation (see [`exact_collation`]).
async fn create_table(
    manager: &SchemaManager<'_>,
    mut table: TableCreateStatement,
) -> Result<(), DbErr> {
    exact_collation(manager, &mut table).await?;
    manager.create_table(table).await
}

/// A new table, unless it exists.
fn new_table(table: impl IntoTableRef) -> TableCreateStatement {
    Table::create().table(table).if_not_exists().to_owned()
}

/// A new table of rows that belong to an account's live or test data:
/// `account_id` and `live` are its first columns.
fn tenant_table(table: impl IntoTableRef) -> TableCreateStatement {
    let mut create = new_table(table);
    create
        .col(string(Alias::new("account_id"), 32))
        .col(flag(Alias::new("live")));
    create
}

/// A new table of objects that belong to an account's live or test data:
/// their `id`, then `account_id` and `live`.
fn objects_table(table: impl IntoTableRef) -> TableCreateStatement {
    let mut create = new_table(table);
    create
        .col(id(Alias::new("id")))
        .col(string(Alias::new("account_id"), 32))
        .col(flag(Alias::new("live")));
    create
}

/// Creates the keyset `indexes` (see [`indexes`](crate::db::indexes)), in order.
async fn keyset_indexes(manager: &SchemaManager<'_>, indexes: &[KeysetIndex]) -> Result<(), DbErr> {
    for index in indexes {
        manager.create_index(index.create()).await?;
    }
    Ok(())
}

/// Drops `table`.
async fn drop_table(manager: &SchemaManager<'_>, table: impl IntoTableRef) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(table).to_owned())
        .await
}

/// The index `name` on `table`'s `columns`, in order.
fn index<C: IntoIden>(
    name: &str,
    table: impl IntoTableRef,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index
}

/// A row's id: its primary key.
fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .string_len(32)
        .not_null()
        .primary_key()
        .to_owned()
}

/// A required string of at most `len` characters (32 for an id of another row).
fn string(column: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(column).string_len(len).not_null().to_owned()
}

/// A required flag.
fn flag(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).boolean().not_null().to_owned()
}

/// A required 64-bit number: a time in microseconds, a count, a sequence.
fn big(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}
