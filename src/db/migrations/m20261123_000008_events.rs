//! The event log: one row per change, written in the change's transaction,
//! and one counter per (account, mode) stream that orders them.

use sea_orm::sea_query::{ColumnDef, Index, Table};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::exact_collation;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut streams = Table::create();
        streams
            .table(EventStreams::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(EventStreams::AccountId)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(EventStreams::Live).boolean().not_null())
            // The sequence number of the stream's last event.
            .col(ColumnDef::new(EventStreams::Seq).big_integer().not_null())
            .primary_key(
                Index::create()
                    .col(EventStreams::AccountId)
                    .col(EventStreams::Live),
            );
        exact_collation(manager, &mut streams).await?;
        manager.create_table(streams).await?;

        let mut events = Table::create();
        events
            .table(Events::Table)
            .if_not_exists()
            .col(
                ColumnDef::new(Events::Id)
                    .string_len(32)
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(Events::AccountId).string_len(32).not_null())
            .col(ColumnDef::new(Events::Live).boolean().not_null())
            .col(ColumnDef::new(Events::Seq).big_integer().not_null())
            .col(ColumnDef::new(Events::Type).string_len(64).not_null())
            .col(ColumnDef::new(Events::CreatedAt).big_integer().not_null())
            // The encoded `customers.v1.Event` (id, sequence and time included).
            .col(ColumnDef::new(Events::Body).blob().not_null());
        exact_collation(manager, &mut events).await?;
        manager.create_table(events).await?;
        manager
            .create_index(
                Index::create()
                    .name("events_by_stream")
                    .table(Events::Table)
                    .col(Events::AccountId)
                    .col(Events::Live)
                    .col(Events::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Retention deletes the oldest events of every stream.
        manager
            .create_index(
                Index::create()
                    .name("events_by_time")
                    .table(Events::Table)
                    .col(Events::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventStreams::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum EventStreams {
    Table,
    AccountId,
    Live,
    Seq,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    AccountId,
    Live,
    Seq,
    Type,
    CreatedAt,
    Body,
}
