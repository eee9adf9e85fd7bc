//! Rows that belong to one (account, mode): how a store finds one of them for
//! a tenant, so that another tenant's id answers exactly like an unknown one.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select};

use super::entities::{customer, payment, subscription};
use crate::auth::Tenant;
use crate::error::{Error, Result};
use crate::ids;

/// A table whose rows carry their account and mode.
pub trait Owned: EntityTrait {
    /// The resource's name in errors, e.g. `customer`.
    const RESOURCE: &'static str;
    const ACCOUNT: Self::Column;
    const LIVE: Self::Column;
    const ID: Self::Column;

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

impl Owned for customer::Entity {
    const RESOURCE: &'static str = "customer";
    const ACCOUNT: customer::Column = customer::Column::AccountId;
    const LIVE: customer::Column = customer::Column::Live;
    const ID: customer::Column = customer::Column::Id;
}

impl Owned for payment::Entity {
    const RESOURCE: &'static str = "payment";
    const ACCOUNT: payment::Column = payment::Column::AccountId;
    const LIVE: payment::Column = payment::Column::Live;
    const ID: payment::Column = payment::Column::Id;
}

impl Owned for subscription::Entity {
    const RESOURCE: &'static str = "subscription";
    const ACCOUNT: subscription::Column = subscription::Column::AccountId;
    const LIVE: subscription::Column = subscription::Column::Live;
    const ID: subscription::Column = subscription::Column::Id;
}
