use sea_orm::sea_query::ColumnDef;
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::{big, create_table, drop_table, keyset_indexes, objects_table, string};

use crate::db::indexes::{
    PAYMENTS, PAYMENTS_BY_CUSTOMER, SUBSCRIPTIONS, SUBSCRIPTIONS_BY_CUSTOMER,
    SUBSCRIPTIONS_BY_STATUS,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let payments = objects_table(Payments::Table)
            .col(ColumnDef::new(Payments::CustomerId).string_len(32).null())
            .col(big(Payments::Amount))
            .col(string(Payments::Currency, 3))
            .col(string(Payments::Status, 16))
            .col(
                ColumnDef::new(Payments::Description)
                    .string_len(1000)
                    .null(),
            )
            .col(ColumnDef::new(Payments::Metadata).text().not_null())
            .col(big(Payments::CreatedAt))
            .to_owned();
        create_table(manager, payments).await?;
        keyset_indexes(manager, &[PAYMENTS, PAYMENTS_BY_CUSTOMER]).await?;

        let subscriptions = objects_table(Subscriptions::Table)
            .col(string(Subscriptions::CustomerId, 32))
            .col(string(Subscriptions::Plan, 256))
            .col(string(Subscriptions::Status, 16))
            .col(ColumnDef::new(Subscriptions::Metadata).text().not_null())
            .col(big(Subscriptions::CreatedAt))
            .col(
                ColumnDef::new(Subscriptions::CanceledAt)
                    .big_integer()
                    .null(),
            )
            .to_owned();
        create_table(manager, subscriptions).await?;
        keyset_indexes(
            manager,
            &[
                SUBSCRIPTIONS,
                SUBSCRIPTIONS_BY_CUSTOMER,
                SUBSCRIPTIONS_BY_STATUS,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Subscriptions::Table).await?;
        drop_table(manager, Payments::Table).await
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
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
    CustomerId,
    Plan,
    Status,
    Metadata,
    CreatedAt,
    CanceledAt,
}
