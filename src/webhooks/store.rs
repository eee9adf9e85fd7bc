//! Webhook endpoint storage, and the attempts their deliveries list shows.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter,
};

use super::secret::{self, SealingKey};
use super::{Changes, NewEndpoint};
use crate::auth::Tenant;
use crate::db::entities::webhook_endpoint::{self, EndpointStatus};
use crate::db::entities::{webhook_attempt, webhook_delivery};
use crate::db::{Owned, begin_write, find_owned, indexes, page_owned};
use crate::error::Result;
use crate::events::log;
use crate::ids;
use crate::paging::{Page, PageRequest};

/// Creates an endpoint that receives the events committed from now on, and
/// returns it with its secret (the only time the secret leaves the server).
pub async fn create(
    db: &DatabaseConnection,
    tenant: &Tenant,
    key: Option<&SealingKey>,
    new: NewEndpoint,
) -> Result<(webhook_endpoint::Model, String)> {
    let id = ids::time_ordered("we_");
    let issued = secret::issue();
    let (stored, sealed) = secret::store(key, &id, &issued);
    let now = ids::now_micros();
    let row = webhook_endpoint::Model {
        id,
        account_id: tenant.account_id.clone(),
        live: tenant.live,
        url: new.url,
        description: new.description,
        enabled_events: new.enabled_events.join(","),
        status: EndpointStatus::Enabled,
        format: new.format,
        secret: stored,
        sealed,
        cursor: log::head(db, tenant).await?,
        created_at: now,
        updated_at: now,
    };
    let inserted = row.clone().into_active_model();
    webhook_endpoint::Entity::insert(inserted)
        .exec_without_returning(db)
        .await?;
    Ok((row, issued))
}

pub async fn get(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: &str,
) -> Result<webhook_endpoint::Model> {
    find_owned::<webhook_endpoint::Entity, _>(db, tenant, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    tenant: &Tenant,
    page: &PageRequest,
) -> Result<Page<webhook_endpoint::Model>> {
    let scope = webhook_endpoint::Entity::of(tenant);
    let index = indexes::WEBHOOK_ENDPOINTS;
    page_owned(db, scope.clone(), scope, index, page).await
}

/// Applies `changes`. An endpoint enabled again receives the events
/// committed from then on, not those of the time it was disabled.
pub async fn update(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: &str,
    changes: Changes,
) -> Result<webhook_endpoint::Model> {
    let txn = begin_write(db).await?;
    let row = find_owned::<webhook_endpoint::Entity, _>(&txn, tenant, id).await?;
    let mut active = row.clone().into_active_model();
    let mut changed = false;
    if let Some(url) = changes.url.filter(|u| *u != row.url) {
        active.url = Set(url);
        changed = true;
    }
    if let Some(events) = changes.enabled_events.map(|e| e.join(","))
        && events != row.enabled_events
    {
        active.enabled_events = Set(events);
        changed = true;
    }
    if let Some(description) = changes.description.filter(|d| *d != row.description) {
        active.description = Set(description);
        changed = true;
    }
    if let Some(status) = changes.status.filter(|s| *s != row.status) {
        if status == EndpointStatus::Enabled {
            active.cursor = Set(log::head(&txn, tenant).await?);
        }
        active.status = Set(status);
        changed = true;
    }
    if !changed {
        txn.commit().await?;
        return Ok(row);
    }
    active.updated_at = Set(ids::now_micros());
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes an endpoint with its pending deliveries and its attempts, and
/// returns it as it was.
pub async fn delete(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: &str,
) -> Result<webhook_endpoint::Model> {
    let txn = begin_write(db).await?;
    let row = find_owned::<webhook_endpoint::Entity, _>(&txn, tenant, id).await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .exec(&txn)
        .await?;
    webhook_attempt::Entity::delete_many()
        .filter(webhook_attempt::Column::EndpointId.eq(id))
        .exec(&txn)
        .await?;
    webhook_endpoint::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(row)
}

/// An endpoint's attempts, newest first, optionally for one event.
pub async fn attempts(
    db: &DatabaseConnection,
    tenant: &Tenant,
    endpoint_id: &str,
    event_id: Option<&str>,
    page: &PageRequest,
) -> Result<Page<webhook_attempt::Model>> {
    find_owned::<webhook_endpoint::Entity, _>(db, tenant, endpoint_id).await?;
    let scope = webhook_attempt::Entity::of(tenant)
        .filter(webhook_attempt::Column::EndpointId.eq(endpoint_id));
    let mut filtered = scope.clone();
    if let Some(event_id) = event_id {
        filtered = filtered.filter(webhook_attempt::Column::EventId.eq(event_id));
    }
    page_owned(db, scope, filtered, indexes::WEBHOOK_ATTEMPTS, page).await
}

/// Seals the secrets stored as issued, once the server has a key; returns
/// how many it sealed.
pub async fn seal_plain_secrets<C: ConnectionTrait>(db: &C, key: &SealingKey) -> Result<usize> {
    let plain = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Sealed.eq(false))
        .all(db)
        .await?;
    let mut sealed = 0;
    for row in plain {
        let Ok(text) = String::from_utf8(row.secret.clone()) else {
            continue;
        };
        let (stored, _) = secret::store(Some(key), &row.id, &text);
        // Only if nobody changed it meanwhile.
        let done = webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::Secret,
                sea_orm::sea_query::Expr::value(stored),
            )
            .col_expr(
                webhook_endpoint::Column::Sealed,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(webhook_endpoint::Column::Id.eq(row.id.as_str()))
            .filter(webhook_endpoint::Column::Sealed.eq(false))
            .exec(db)
            .await?;
        sealed += done.rows_affected as usize;
    }
    Ok(sealed)
}
