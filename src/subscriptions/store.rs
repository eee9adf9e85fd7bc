//! Subscription storage: plain functions over a SeaORM connection.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::{NewSubscription, Subscription, SubscriptionQuery, SubscriptionStatus};
use crate::auth::Tenant;
use crate::customers;
use crate::db::entities::subscription;
use crate::db::{OfCustomer, Owned, find_owned, indexes, page_owned};
use crate::error::{Error, Result};
use crate::paging::Page;
use crate::{ids, metadata};

const RESOURCE: &str = <subscription::Entity as Owned>::RESOURCE;

fn assemble(row: subscription::Model) -> Result<Subscription> {
    Ok(Subscription {
        metadata: metadata::decode(&row.metadata)?,
        id: row.id,
        customer: row.customer_id,
        plan: row.plan,
        status: row.status,
        live: row.live,
        created_at: row.created_at,
        canceled_at: row.canceled_at,
    })
}

/// Subscribes a customer, inside the caller's transaction.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    new: NewSubscription,
) -> Result<Subscription> {
    let row = subscription::Model {
        id: ids::subscription_id(),
        account_id: tenant.account_id.clone(),
        live: tenant.live,
        customer_id: new.customer,
        plan: new.plan,
        status: new.status,
        metadata: metadata::encode(&new.metadata),
        created_at: ids::now_micros(),
        canceled_at: None,
    };
    assemble(customers::store::insert_naming::<subscription::Entity, _>(db, tenant, row).await?)
}

async fn find<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<Subscription> {
    assemble(find_owned::<subscription::Entity, _>(db, tenant, id).await?)
}

pub async fn get(db: &DatabaseConnection, tenant: &Tenant, id: &str) -> Result<Subscription> {
    find(db, tenant, id).await
}

fn cancelable() -> Condition {
    Condition::any().add(subscription::Column::Status.is_in(SubscriptionStatus::CANCELABLE))
}

fn cancel_columns(
    update: sea_orm::UpdateMany<subscription::Entity>,
    now: i64,
) -> sea_orm::UpdateMany<subscription::Entity> {
    update
        .col_expr(
            subscription::Column::Status,
            Expr::value(SubscriptionStatus::Canceled),
        )
        .col_expr(subscription::Column::CanceledAt, Expr::value(now))
}

/// Cancels one subscription, inside the caller's transaction. The status
/// check and the change are one statement, so two concurrent cancels cannot
/// both succeed.
pub async fn cancel<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<Subscription> {
    if !ids::could_exist(id) {
        return Err(Error::not_found(RESOURCE, id));
    }
    let changed = cancel_columns(subscription::Entity::update_many(), ids::now_micros())
        .filter(subscription::Entity::scope(tenant))
        .filter(subscription::Column::Id.eq(id))
        .filter(cancelable())
        .exec(db)
        .await?
        .rows_affected;
    let current = find(db, tenant, id).await?;
    if changed == 0 {
        return Err(Error::FailedPrecondition(format!(
            "subscription '{id}' is already canceled"
        )));
    }
    Ok(current)
}

/// Cancels every active, trialing or past-due subscription of a customer
/// being deleted (whose row the caller has locked, so none is added or
/// canceled meanwhile), and returns them canceled; already canceled ones keep
/// their `canceled_at`.
pub async fn cancel_all_of_customer<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    customer_id: &str,
    now: i64,
) -> Result<Vec<Subscription>> {
    let of_customer = || subscription::Entity::of_customer(tenant, customer_id);
    let ids: Vec<String> = of_customer()
        .filter(cancelable())
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    cancel_columns(subscription::Entity::update_many(), now)
        .filter(subscription::Entity::scope(tenant))
        .filter(subscription::Column::Id.is_in(ids.clone()))
        .filter(cancelable())
        .exec(db)
        .await?;
    of_customer()
        .filter(subscription::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(assemble)
        .collect()
}

pub async fn list(
    db: &DatabaseConnection,
    tenant: &Tenant,
    query: &SubscriptionQuery,
) -> Result<Page<Subscription>> {
    let scope = subscription::Entity::of(tenant);
    let (mut filtered, index) = match (&query.customer, query.status) {
        (Some(customer), _) => (
            subscription::Entity::of_customer(tenant, customer),
            indexes::SUBSCRIPTIONS_BY_CUSTOMER,
        ),
        (None, Some(_)) => (scope.clone(), indexes::SUBSCRIPTIONS_BY_STATUS),
        (None, None) => (scope.clone(), indexes::SUBSCRIPTIONS),
    };
    if let Some(status) = query.status {
        filtered = filtered.filter(subscription::Column::Status.eq(status));
    }
    let page = page_owned(db, scope, filtered, index, &query.page).await?;
    page.try_map(assemble)
}
