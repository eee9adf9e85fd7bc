//! The event log: one row per change, written in the change's transaction,
//! and one counter per (account, mode) stream that orders them.

use sea_orm::sea_query::{ColumnDef, Index, IndexCreateStatement};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::{big, create_table, drop_table, index, objects_table, string, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let event_streams = tenant_table(EventStreams::Table)
            // The sequence number of the stream's last event.
            .col(big(EventStreams::Seq))
            .primary_key(
                Index::create()
                    .col(EventStreams::AccountId)
                    .col(EventStreams::Live),
            )
            .to_owned();
        create_table(manager, event_streams).await?;

        let events = objects_table(Events::Table)
            .col(big(Events::Seq))
            .col(string(Events::Type, 64))
            .col(big(Events::CreatedAt))
            // The encoded `customers.v1.Event` (id, sequence and time included).
            .col(ColumnDef::new(Events::Body).blob().not_null())
            .to_owned();
        create_table(manager, events).await?;
        manager
            .create_index(
                index(
                    "events_by_stream",
                    Events::Table,
                    [Events::AccountId, Events::Live, Events::Seq],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager.create_index(events_by_time()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Events::Table).await?;
        drop_table(manager, EventStreams::Table).await
    }
}

/// Retention deleted the oldest events of every stream through this index,
/// until its migration 10 dropped it.
pub(super) fn events_by_time() -> IndexCreateStatement {
    index(EVENTS_BY_TIME, Events::Table, [Events::CreatedAt])
}

pub(super) const EVENTS_BY_TIME: &str = "events_by_time";

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
    AccountId,
    Live,
    Seq,
    Type,
    CreatedAt,
    Body,
}
