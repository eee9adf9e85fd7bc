//! Webhook endpoints, the deliveries owed to them, and the attempts made.

use sea_orm::sea_query::ColumnDef;
use sea_orm::{DbErr, DeriveIden, DeriveMigrationName};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::{
    big, create_table, drop_table, flag, id, index, keyset_indexes, new_table, objects_table,
    string,
};

use crate::db::indexes::{WEBHOOK_ATTEMPTS, WEBHOOK_ENDPOINTS};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let webhook_endpoints = objects_table(WebhookEndpoints::Table)
            .col(ColumnDef::new(WebhookEndpoints::Url).text().not_null())
            .col(ColumnDef::new(WebhookEndpoints::Description).text().null())
            .col(
                ColumnDef::new(WebhookEndpoints::EnabledEvents)
                    .text()
                    .not_null(),
            )
            .col(string(WebhookEndpoints::Status, 16))
            .col(string(WebhookEndpoints::Format, 16))
            .col(ColumnDef::new(WebhookEndpoints::Secret).blob().not_null())
            .col(flag(WebhookEndpoints::Sealed))
            .col(big(WebhookEndpoints::Cursor))
            .col(big(WebhookEndpoints::CreatedAt))
            .col(big(WebhookEndpoints::UpdatedAt))
            .to_owned();
        create_table(manager, webhook_endpoints).await?;
        keyset_indexes(manager, &[WEBHOOK_ENDPOINTS]).await?;

        let webhook_deliveries = new_table(WebhookDeliveries::Table)
            .col(id(WebhookDeliveries::Id))
            .col(string(WebhookDeliveries::EndpointId, 32))
            .col(string(WebhookDeliveries::EventId, 32))
            .col(string(WebhookDeliveries::EventType, 64))
            .col(string(WebhookDeliveries::State, 16))
            .col(
                ColumnDef::new(WebhookDeliveries::Attempts)
                    .integer()
                    .not_null(),
            )
            .col(big(WebhookDeliveries::NextAttemptAt))
            .col(big(WebhookDeliveries::CreatedAt))
            .to_owned();
        create_table(manager, webhook_deliveries).await?;
        // An event is owed to an endpoint once, however often it is scheduled.
        manager
            .create_index(
                index(
                    "webhook_deliveries_once",
                    WebhookDeliveries::Table,
                    [WebhookDeliveries::EndpointId, WebhookDeliveries::EventId],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        // The worker's question: which deliveries are due, endpoint by endpoint.
        manager
            .create_index(index(
                "webhook_deliveries_due",
                WebhookDeliveries::Table,
                [WebhookDeliveries::State, WebhookDeliveries::NextAttemptAt],
            ))
            .await?;
        manager
            .create_index(index(
                "webhook_deliveries_due_by_endpoint",
                WebhookDeliveries::Table,
                [
                    WebhookDeliveries::EndpointId,
                    WebhookDeliveries::State,
                    WebhookDeliveries::NextAttemptAt,
                ],
            ))
            .await?;

        let webhook_attempts = objects_table(WebhookAttempts::Table)
            .col(string(WebhookAttempts::EndpointId, 32))
            .col(string(WebhookAttempts::EventId, 32))
            .col(string(WebhookAttempts::EventType, 64))
            .col(
                ColumnDef::new(WebhookAttempts::Attempt)
                    .integer()
                    .not_null(),
            )
            .col(ColumnDef::new(WebhookAttempts::StatusCode).integer().null())
            .col(ColumnDef::new(WebhookAttempts::Error).text().null())
            .col(flag(WebhookAttempts::Delivered))
            .col(big(WebhookAttempts::CreatedAt))
            .col(big(WebhookAttempts::DurationMs))
            .col(
                ColumnDef::new(WebhookAttempts::NextRetryAt)
                    .big_integer()
                    .null(),
            )
            .to_owned();
        create_table(manager, webhook_attempts).await?;
        keyset_indexes(manager, &[WEBHOOK_ATTEMPTS]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, WebhookAttempts::Table).await?;
        drop_table(manager, WebhookDeliveries::Table).await?;
        drop_table(manager, WebhookEndpoints::Table).await
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
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
