use sea_orm::sea_query::{ColumnDef, ForeignKey, ForeignKeyAction, Index};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::{big, create_table, drop_table, keyset_indexes, new_table, objects_table, string};

use crate::db::indexes::{CUSTOMERS, CUSTOMERS_BY_EMAIL};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let customers = objects_table(Customers::Table)
            .col(ColumnDef::new(Customers::Email).string_len(254).null())
            .col(ColumnDef::new(Customers::Name).string_len(256).null())
            .col(ColumnDef::new(Customers::Phone).string_len(64).null())
            .col(
                ColumnDef::new(Customers::Description)
                    .string_len(1000)
                    .null(),
            )
            .col(big(Customers::CreatedAt))
            .col(big(Customers::UpdatedAt))
            .to_owned();
        create_table(manager, customers).await?;

        keyset_indexes(manager, &[CUSTOMERS, CUSTOMERS_BY_EMAIL]).await?;

        let customer_metadata = new_table(CustomerMetadata::Table)
            .col(string(CustomerMetadata::CustomerId, 32))
            .col(string(CustomerMetadata::Key, 40))
            .col(string(CustomerMetadata::Value, 500))
            .primary_key(
                Index::create()
                    .col(CustomerMetadata::CustomerId)
                    .col(CustomerMetadata::Key),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("customer_metadata_customer_fk")
                    .from(CustomerMetadata::Table, CustomerMetadata::CustomerId)
                    .to(Customers::Table, Customers::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        create_table(manager, customer_metadata).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, CustomerMetadata::Table).await?;
        drop_table(manager, Customers::Table).await
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Email,
    Name,
    Phone,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerMetadata {
    Table,
    CustomerId,
    Key,
    Value,
}
