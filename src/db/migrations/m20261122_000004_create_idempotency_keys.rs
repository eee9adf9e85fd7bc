use sea_orm::sea_query::{ColumnDef, Index, Table};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::exact_collation;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut keys = Table::create();
        keys.table(IdempotencyKeys::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(IdempotencyKeys::AccountId)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(IdempotencyKeys::Live).boolean().not_null())
            .col(
                ColumnDef::new(IdempotencyKeys::Key)
                    .string_len(255)
                    .not_null(),
            )
            .col(
                ColumnDef::new(IdempotencyKeys::Operation)
                    .string_len(128)
                    .not_null(),
            )
            .col(
                ColumnDef::new(IdempotencyKeys::RequestHash)
                    .string_len(64)
                    .not_null(),
            )
            .col(ColumnDef::new(IdempotencyKeys::Response).blob().not_null())
            .col(
                ColumnDef::new(IdempotencyKeys::CreatedAt)
                    .big_integer()
                    .not_null(),
            )
            .primary_key(
                Index::create()
                    .col(IdempotencyKeys::AccountId)
                    .col(IdempotencyKeys::Live)
                    .col(IdempotencyKeys::Key),
            );
        exact_collation(manager, &mut keys).await?;
        manager.create_table(keys).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    AccountId,
    Live,
    Key,
    Operation,
    RequestHash,
    Response,
    CreatedAt,
}
