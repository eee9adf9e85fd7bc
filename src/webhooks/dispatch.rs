//! Scheduling: each enabled endpoint follows its (account, mode) stream from
//! its cursor, and every matching event becomes one pending delivery.
//!
//! One round locks the endpoints it moves on (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL and MySQL/MariaDB; SQLite's single writer otherwise), so two
//! replicas never schedule one endpoint's events at once, and writes the
//! deliveries and the new cursors in one transaction: an event is scheduled
//! for an endpoint exactly once. Stream numbers have no gaps and commit in
//! order, so a cursor never passes an event still to commit.

use std::collections::BTreeMap;

use sea_orm::sea_query::{LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use crate::auth::Tenant;
use crate::db::begin_write;
use crate::db::entities::webhook_delivery::{self, DeliveryState};
use crate::db::entities::webhook_endpoint::{self, EndpointStatus};
use crate::error::Result;
use crate::events::Types;
use crate::events::log;
use crate::ids;

/// Events read per stream per round.
const BATCH: u64 = 500;
/// Rows per insert statement.
const ROWS_PER_INSERT: usize = 500;

/// One scheduling round. Returns how many deliveries it recorded, and
/// whether a stream had more events than one round reads.
pub async fn round(db: &DatabaseConnection) -> Result<(usize, bool)> {
    let txn = begin_write(db).await?;
    let mut select = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Status.eq(EndpointStatus::Enabled));
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let endpoints = select.all(&txn).await?;
    let mut by_stream: BTreeMap<(String, bool), Vec<webhook_endpoint::Model>> = BTreeMap::new();
    for endpoint in endpoints {
        by_stream
            .entry((endpoint.account_id.clone(), endpoint.live))
            .or_default()
            .push(endpoint);
    }
    let now = ids::now_micros();
    let (mut rows, mut more) = (Vec::new(), false);
    let mut cursors = Vec::new();
    for ((account_id, live), endpoints) in by_stream {
        let tenant = Tenant { account_id, live };
        let from = endpoints.iter().map(|e| e.cursor).min().unwrap_or(0);
        let events = log::index_after(&txn, &tenant, from, BATCH).await?;
        more |= events.len() as u64 == BATCH;
        let Some(last) = events.last().map(|(_, seq, _)| *seq) else {
            continue;
        };
        for endpoint in endpoints {
            if endpoint.cursor >= last {
                continue;
            }
            let types = Types::stored(&endpoint.enabled_events);
            for (event_id, _, kind) in events.iter().filter(|(_, seq, _)| *seq > endpoint.cursor) {
                if !types.contains(kind) {
                    continue;
                }
                rows.push(webhook_delivery::ActiveModel::from(
                    webhook_delivery::Model {
                        id: ids::time_ordered("whd_"),
                        endpoint_id: endpoint.id.clone(),
                        event_id: event_id.clone(),
                        event_type: kind.clone(),
                        state: DeliveryState::Pending,
                        attempts: 0,
                        next_attempt_at: now,
                        created_at: now,
                    },
                ));
            }
            cursors.push((endpoint.id, last));
        }
    }
    let scheduled = rows.len();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        webhook_delivery::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    webhook_delivery::Column::EndpointId,
                    webhook_delivery::Column::EventId,
                ])
                .do_nothing_on([webhook_delivery::Column::EventId])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    for (id, cursor) in cursors {
        webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::Cursor,
                sea_orm::sea_query::Expr::value(cursor),
            )
            .filter(webhook_endpoint::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok((scheduled, more))
}
