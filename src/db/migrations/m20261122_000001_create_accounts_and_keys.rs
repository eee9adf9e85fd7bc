use sea_orm::sea_query::ForeignKey;
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::{big, create_table, drop_table, id, index, new_table, objects_table, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let accounts = new_table(Accounts::Table)
            .col(id(Accounts::Id))
            .col(string(Accounts::Name, 128))
            .col(big(Accounts::CreatedAt))
            .to_owned();
        create_table(manager, accounts).await?;
        manager
            .create_index(
                index("accounts_name_key", Accounts::Table, [Accounts::Name])
                    .unique()
                    .to_owned(),
            )
            .await?;

        let api_keys = objects_table(ApiKeys::Table)
            .col(string(ApiKeys::KeyHash, 64))
            .col(string(ApiKeys::KeyPrefix, 16))
            .col(big(ApiKeys::CreatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("api_keys_account_fk")
                    .from(ApiKeys::Table, ApiKeys::AccountId)
                    .to(Accounts::Table, Accounts::Id),
            )
            .to_owned();
        create_table(manager, api_keys).await?;
        manager
            .create_index(
                index("api_keys_key_hash_key", ApiKeys::Table, [ApiKeys::KeyHash])
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, ApiKeys::Table).await?;
        drop_table(manager, Accounts::Table).await
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
    AccountId,
    KeyHash,
    KeyPrefix,
    CreatedAt,
}
