//! Webhook endpoints, the deliveries owed to them, and the attempts made.

use sea_orm::sea_query::{ColumnDef, Index, Table};
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::exact_collation;
use crate::db::indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id<T: sea_orm::Iden + 'static>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .string_len(32)
        .not_null()
        .primary_key()
        .to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut endpoints = Table::create();
        endpoints
            .table(WebhookEndpoints::Table)
            .if_not_exists()
            .col(id(WebhookEndpoints::Id))
            .col(
                ColumnDef::new(WebhookEndpoints::AccountId)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(WebhookEndpoints::Live).boolean().not_null())
            .col(ColumnDef::new(WebhookEndpoints::Url).text().not_null())
            .col(ColumnDef::new(WebhookEndpoints::Description).text().null())
            .col(
                ColumnDef::new(WebhookEndpoints::EnabledEvents)
                    .text()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookEndpoints::Status)
                    .string_len(16)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookEndpoints::Format)
                    .string_len(16)
                    .not_null(),
            )
            .col(ColumnDef::new(WebhookEndpoints::Secret).blob().not_null())
            .col(
                ColumnDef::new(WebhookEndpoints::Sealed)
                    .boolean()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookEndpoints::Cursor)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookEndpoints::CreatedAt)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookEndpoints::UpdatedAt)
                    .big_integer()
                    .not_null(),
            );
        exact_collation(manager, &mut endpoints).await?;
        manager.create_table(endpoints).await?;
        manager
            .create_index(indexes::WEBHOOK_ENDPOINTS.create())
            .await?;

        let mut deliveries = Table::create();
        deliveries
            .table(WebhookDeliveries::Table)
            .if_not_exists()
            .col(id(WebhookDeliveries::Id))
            .col(
                ColumnDef::new(WebhookDeliveries::EndpointId)
                    .string_len(32)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookDeliveries::EventId)
                    .string_len(32)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookDeliveries::EventType)
                    .string_len(64)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookDeliveries::State)
                    .string_len(16)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookDeliveries::Attempts)
                    .integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookDeliveries::NextAttemptAt)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookDeliveries::CreatedAt)
                    .big_integer()
                    .not_null(),
            );
        exact_collation(manager, &mut deliveries).await?;
        manager.create_table(deliveries).await?;
        // An event is owed to an endpoint once, however often it is scheduled.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_once")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The worker's question: which deliveries are due, endpoint by endpoint.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due_by_endpoint")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        let mut attempts = Table::create();
        attempts
            .table(WebhookAttempts::Table)
            .if_not_exists()
            .col(id(WebhookAttempts::Id))
            .col(
                ColumnDef::new(WebhookAttempts::AccountId)
                    .string_len(32)
                    .not_null(),
            )
            .col(ColumnDef::new(WebhookAttempts::Live).boolean().not_null())
            .col(
                ColumnDef::new(WebhookAttempts::EndpointId)
                    .string_len(32)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookAttempts::EventId)
                    .string_len(32)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookAttempts::EventType)
                    .string_len(64)
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookAttempts::Attempt)
                    .integer()
                    .not_null(),
            )
            .col(ColumnDef::new(WebhookAttempts::StatusCode).integer().null())
            .col(ColumnDef::new(WebhookAttempts::Error).text().null())
            .col(
                ColumnDef::new(WebhookAttempts::Delivered)
                    .boolean()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookAttempts::CreatedAt)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookAttempts::DurationMs)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(WebhookAttempts::NextRetryAt)
                    .big_integer()
                    .null(),
            );
        exact_collation(manager, &mut attempts).await?;
        manager.create_table(attempts).await?;
        manager
            .create_index(indexes::WEBHOOK_ATTEMPTS.create())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookAttempts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    AccountId,
    Live,
    Url,
    Description,
    EnabledEvents,
    Status,
    Format,
    Secret,
    Sealed,
    Cursor,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    EventType,
    State,
    Attempts,
    NextAttemptAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    AccountId,
    Live,
    EndpointId,
    EventId,
    EventType,
    Attempt,
    StatusCode,
    Error,
    Delivered,
    CreatedAt,
    DurationMs,
    NextRetryAt,
}
