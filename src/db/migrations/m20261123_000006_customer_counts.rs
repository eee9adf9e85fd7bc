//! Customer totals per tenant, kept by the database itself with every insert
//! and delete (whoever makes them), so a list with its total does not count
//! rows. A tenant's total is the sum of its slots; each transaction adds to
//! one slot, so concurrent transactions seldom wait for the same row.

use sea_orm::sea_query::{ColumnDef, Expr, Func, Index, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::{big, create_table, drop_table, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let customer_counts = tenant_table(CustomerCounts::Table)
            .col(ColumnDef::new(CustomerCounts::Slot).integer().not_null())
            .col(big(CustomerCounts::Count))
            .primary_key(
                Index::create()
                    .col(CustomerCounts::AccountId)
                    .col(CustomerCounts::Live)
                    .col(CustomerCounts::Slot),
            )
            .to_owned();
        create_table(manager, customer_counts).await?;
        // The customers that exist already, in slot 0.
        let existing = Query::select()
            .column(Customers::AccountId)
            .column(Customers::Live)
            .expr(Expr::val(0))
            .expr(Func::count(Expr::col(Customers::Id)))
            .from(Customers::Table)
            .group_by_col(Customers::AccountId)
            .group_by_col(Customers::Live)
            .to_owned();
        let fill = Query::insert()
            .into_table(CustomerCounts::Table)
            .columns([
                CustomerCounts::AccountId,
                CustomerCounts::Live,
                CustomerCounts::Slot,
                CustomerCounts::Count,
            ])
            .select_from(existing)
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(fill).await?;
        let db = manager.get_connection();
        for statement in triggers(manager.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS customers_counted ON customers",
                "DROP FUNCTION IF EXISTS customers_counted()",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS customers_counted_insert",
                "DROP TRIGGER IF EXISTS customers_counted_delete",
            ],
        };
        for statement in drops {
            db.execute_unprepared(statement).await?;
        }
        drop_table(manager, CustomerCounts::Table).await
    }
}

/// The slot is fixed per transaction (SQLite has one writer at a time, so one
/// slot serves it).
fn triggers(backend: DatabaseBackend) -> &'static [&'static str] {
    match backend {
        DatabaseBackend::Postgres => &[
            r#"CREATE FUNCTION customers_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO customer_counts (account_id, live, slot, count)
    VALUES (NEW.account_id, NEW.live, (txid_current() % 16)::integer, 1)
    ON CONFLICT (account_id, live, slot) DO UPDATE SET count = customer_counts.count + 1;
  ELSE
    INSERT INTO customer_counts (account_id, live, slot, count)
    VALUES (OLD.account_id, OLD.live, (txid_current() % 16)::integer, -1)
    ON CONFLICT (account_id, live, slot) DO UPDATE SET count = customer_counts.count - 1;
  END IF;
  RETURN NULL;
END
$$"#,
            "CREATE TRIGGER customers_counted AFTER INSERT OR DELETE ON customers \
             FOR EACH ROW EXECUTE FUNCTION customers_counted()",
        ],
        DatabaseBackend::MySql => &[
            "CREATE TRIGGER customers_counted_insert AFTER INSERT ON customers FOR EACH ROW \
             INSERT INTO customer_counts (account_id, live, slot, count) \
             VALUES (NEW.account_id, NEW.live, CONNECTION_ID() % 16, 1) \
             ON DUPLICATE KEY UPDATE count = count + 1",
            "CREATE TRIGGER customers_counted_delete AFTER DELETE ON customers FOR EACH ROW \
             INSERT INTO customer_counts (account_id, live, slot, count) \
             VALUES (OLD.account_id, OLD.live, CONNECTION_ID() % 16, -1) \
             ON DUPLICATE KEY UPDATE count = count - 1",
        ],
        // SQLite
        _ => &[
            "CREATE TRIGGER customers_counted_insert AFTER INSERT ON customers BEGIN \
             INSERT INTO customer_counts (account_id, live, slot, count) \
             VALUES (NEW.account_id, NEW.live, 0, 1) \
             ON CONFLICT (account_id, live, slot) DO UPDATE SET count = count + 1; END",
            "CREATE TRIGGER customers_counted_delete AFTER DELETE ON customers BEGIN \
             INSERT INTO customer_counts (account_id, live, slot, count) \
             VALUES (OLD.account_id, OLD.live, 0, -1) \
             ON CONFLICT (account_id, live, slot) DO UPDATE SET count = count - 1; END",
        ],
    }
}

#[derive(DeriveIden)]
enum CustomerCounts {
    Table,
    AccountId,
    Live,
    Slot,
    Count,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    AccountId,
    Live,
}
