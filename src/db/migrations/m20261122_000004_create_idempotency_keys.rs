use sea_orm::sea_query::{ColumnDef, Index};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::{big, create_table, drop_table, string, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let idempotency_keys = tenant_table(IdempotencyKeys::Table)
            .col(string(IdempotencyKeys::Key, 255))
            .col(string(IdempotencyKeys::Operation, 128))
            .col(string(IdempotencyKeys::RequestHash, 64))
            .col(ColumnDef::new(IdempotencyKeys::Response).blob().not_null())
            .col(big(IdempotencyKeys::CreatedAt))
            .primary_key(
                Index::create()
                    .col(IdempotencyKeys::AccountId)
                    .col(IdempotencyKeys::Live)
                    .col(IdempotencyKeys::Key),
            )
            .to_owned();
        create_table(manager, idempotency_keys).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, IdempotencyKeys::Table).await
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
