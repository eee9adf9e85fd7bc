//! Rows that belong to one (account, mode): how a store finds one of them for
//! a tenant, so that another tenant's id answers exactly like an unknown one.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select};

use super::entities::{customer, payment, subscription, webhook_attempt, webhook_endpoint};
use super::indexes::KeysetIndex;
use crate::auth::Tenant;
use crate::error::{Error, Result};
use crate::ids;
use crate::paging::{self, Keyset, Page, PageRequest};

/// A table whose rows carry their account and mode.
pub trait Owned: EntityTrait {
    /// The resource's name in errors, e.g. `customer`.
    const RESOURCE: &'static str;
    const ACCOUNT: Self::Column;
    const LIVE: Self::Column;
    const ID: Self::Column;
    const CREATED: Self::Column;

    /// The condition that keeps a query to `tenant`'s rows.
    fn scope(tenant: &Tenant) -> Condition {
        tenant.scope(Self::ACCOUNT, Self::LIVE)
    }

    /// `tenant`'s rows.
    fn of(tenant: &Tenant) -> Select<Self> {
        Self::find().filter(Self::scope(tenant))
    }

    /// `tenant`'s row with this id.
    fn one_of(tenant: &Tenant, id: &str) -> Select<Self> {
        Self::of(tenant).filter(Self::ID.eq(id))
    }
}

/// `tenant`'s row with this id, or NOT_FOUND.
pub async fn find_owned<E: Owned, C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: &str,
) -> Result<E::Model> {
    if !ids::could_exist(id) {
        return Err(Error::not_found(E::RESOURCE, id));
    }
    E::one_of(tenant, id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(E::RESOURCE, id))
}

/// One page of `filtered`, newest first, read through `index`; cursors must
/// name a row of `scope` (see [`paging::fetch`]).
pub async fn page_owned<E, C>(
    db: &C,
    scope: Select<E>,
    filtered: Select<E>,
    index: KeysetIndex,
    page: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: Owned,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let keyset = Keyset {
        created: E::CREATED,
        id: E::ID,
        index: index.name,
    };
    paging::fetch(db, E::RESOURCE, scope, filtered, keyset, page).await
}

/// A table whose rows may name a customer of their tenant: payments and
/// subscriptions.
pub trait OfCustomer: Owned {
    const CUSTOMER: Self::Column;

    /// The customer a row names, if any.
    fn customer_of(row: &Self::Model) -> Option<&str>;

    /// `tenant`'s rows that name customer `id`.
    fn of_customer(tenant: &Tenant, id: &str) -> Select<Self> {
        Self::of(tenant).filter(Self::CUSTOMER.eq(id))
    }
}

/// Implements [`Owned`] for entities whose tenant, id and time columns have
/// the usual names.
macro_rules! owned {
    ($($entity:ident: $resource:literal),* $(,)?) => {$(
        impl Owned for $entity::Entity {
            const RESOURCE: &'static str = $resource;
            const ACCOUNT: $entity::Column = $entity::Column::AccountId;
            const LIVE: $entity::Column = $entity::Column::Live;
            const ID: $entity::Column = $entity::Column::Id;
            const CREATED: $entity::Column = $entity::Column::CreatedAt;
        }
    )*};
}

owned!(
    customer: "customer",
    payment: "payment",
    subscription: "subscription",
    webhook_endpoint: "webhook_endpoint",
    webhook_attempt: "webhook_delivery",
);

impl OfCustomer for payment::Entity {
    const CUSTOMER: payment::Column = payment::Column::CustomerId;

    fn customer_of(row: &payment::Model) -> Option<&str> {
        row.customer_id.as_deref()
    }
}

impl OfCustomer for subscription::Entity {
    const CUSTOMER: subscription::Column = subscription::Column::CustomerId;

    fn customer_of(row: &subscription::Model) -> Option<&str> {
        Some(&row.customer_id)
    }
}
