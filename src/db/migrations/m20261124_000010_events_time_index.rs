//! Drops the index on events' time: retention finds the oldest events by
//! their ids, which begin with their time, so writes no longer keep it up.

use sea_orm::sea_query::Index;
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(super::m20261123_000008_events::EVENTS_BY_TIME)
                    .table(Events::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(super::m20261123_000008_events::events_by_time())
            .await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
}
