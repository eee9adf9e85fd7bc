use sea_orm::sea_query::{ColumnDef, Table};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::exact_collation;
use crate::db::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut payments = Table::create();
        payments
            .table(Payments::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(Payments::Id)
                    .string_len(32)
                    .not_null()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Payments::AccountId)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(Payments::Live).boolean().not_null())
            .col(ColumnDef::new(Payments::CustomerId).string_len(32).null())
            .col(ColumnDef::new(Payments::Amount).big_integer().not_null())
            .col(ColumnDef::new(Payments::Currency).string_len(3).not_null())
            .col(ColumnDef::new(Payments::Status).string_len(16).not_null())
            .col(
                ColumnDef::new(Payments::Description)
                    .string_len(1000)
                    .null(),
            )
            .col(ColumnDef::new(Payments::Metadata).text().not_null())
            .col(ColumnDef::new(Payments::CreatedAt).big_integer().not_null());
        exact_collation(manager, &mut payments).await?;
        manager.create_table(payments).await?;
        manager.create_index(indexes::PAYMENTS.create()).await?;
        manager
            .create_index(indexes::PAYMENTS_BY_CUSTOMER.create())
            .await?;

        let mut subscriptions = Table::create();
        subscriptions
            .table(Subscriptions::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(Subscriptions::Id)
                    .string_len(32)
                    .not_null()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(Subscriptions::AccountId)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(Subscriptions::Live).boolean().not_null())
            .col(
                ColumnDef::new(Subscriptions::CustomerId)
                    .string_len(32)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Subscriptions::Plan)
                    .string_len(256)
                    .not_null(),
            )
            .col(
                ColumnDef::new(Subscriptions::Status)
                    .string_len(16)
                    .not_null(),
            )
            .col(ColumnDef::new(Subscriptions::Metadata).text().not_null())
            .col(
                ColumnDef::new(Subscriptions::CreatedAt)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(Subscriptions::CanceledAt)
                    .big_integer()
                    .null(),
            );
        exact_collation(manager, &mut subscriptions).await?;
        manager.create_table(subscriptions).await?;
        manager
            .create_index(indexes::SUBSCRIPTIONS.create())
            .await?;
        manager
            .create_index(indexes::SUBSCRIPTIONS_BY_CUSTOMER.create())
            .await?;
        manager
            .create_index(indexes::SUBSCRIPTIONS_BY_STATUS.create())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Subscriptions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Payments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    AccountId,
    Live,
    CustomerId,
    Amount,
    Currency,
    Status,
    Description,
    Metadata,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    AccountId,
    Live,
    CustomerId,
    Plan,
    Status,
    Metadata,
    CreatedAt,
    CanceledAt,
}
