use sea_orm::sea_query::{ColumnDef, ForeignKey, Index, Table};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::exact_collation;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut accounts = Table::create();
        accounts
            .table(Accounts::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(Accounts::Id)
                    .string_len(32)
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(Accounts::Name).string_len(128).not_null())
            .col(ColumnDef::new(Accounts::CreatedAt).big_integer().not_null());
        exact_collation(manager, &mut accounts).await?;
        manager.create_table(accounts).await?;
        manager
            .create_index(
                Index::create()
                    .name("accounts_name_key")
                    .table(Accounts::Table)
                    .col(Accounts::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let mut keys = Table::create();
        keys.table(ApiKeys::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(ApiKeys::Id)
                    .string_len(32)
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(ApiKeys::AccountId).string_len(32).not_null())
            .col(ColumnDef::new(ApiKeys::Live).boolean().not_null())
            .col(ColumnDef::new(ApiKeys::KeyHash).string_len(64).not_null())
            .col(ColumnDef::new(ApiKeys::KeyPrefix).string_len(16).not_null())
            .col(ColumnDef::new(ApiKeys::CreatedAt).big_integer().not_null())
            .foreign_key(
                ForeignKey::create()
                    .name("api_keys_account_fk")
                    .from(ApiKeys::Table, ApiKeys::AccountId)
                    .to(Accounts::Table, Accounts::Id),
            );
        exact_collation(manager, &mut keys).await?;
        manager.create_table(keys).await?;
        manager
            .create_index(
                Index::create()
                    .name("api_keys_key_hash_key")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::KeyHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    AccountId,
    Live,
    KeyHash,
    KeyPrefix,
    CreatedAt,
}
