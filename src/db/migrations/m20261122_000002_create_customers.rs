use sea_orm::sea_query::{ColumnDef, ForeignKey, ForeignKeyAction, Index, Table};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::exact_collation;
use crate::db::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut customers = Table::create();
        customers
            .table(Customers::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(Customers::Id)
                    .string_len(32)
                    .not_null()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Customers::AccountId)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(Customers::Live).boolean().not_null())
            .col(ColumnDef::new(Customers::Email).string_len(254).null())
            .col(ColumnDef::new(Customers::Name).string_len(256).null())
            .col(ColumnDef::new(Customers::Phone).string_len(64).null())
            .col(
                ColumnDef::new(Customers::Description)
                    .string_len(1000)
                    .null(),
            )
            .col(
                ColumnDef::new(Customers::CreatedAt)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(Customers::UpdatedAt)
                    .big_integer()
                    .not_null(),
            );
        exact_collation(manager, &mut customers).await?;
        manager.create_table(customers).await?;

        manager.create_index(indexes::CUSTOMERS.create()).await?;
        manager
            .create_index(indexes::CUSTOMERS_BY_EMAIL.create())
            .await?;

        let mut metadata = Table::create();
        metadata
            .table(CustomerMetadata::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(CustomerMetadata::CustomerId)
                    .string_len(32)
                    .not_null(),
            )
            .col(
                ColumnDef::new(CustomerMetadata::Key)
                    .string_len(40)
                    .not_null(),
            )
            .col(
                ColumnDef::new(CustomerMetadata::Value)
                    .string_len(500)
                    .not_null(),
            )
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
            );
        exact_collation(manager, &mut metadata).await?;
        manager.create_table(metadata).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerMetadata::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Customers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    AccountId,
    Live,
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
