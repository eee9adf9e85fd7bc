//! Payment storage: plain functions over a SeaORM connection.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{NewPayment, Payment, PaymentQuery};
use crate::auth::Tenant;
use crate::customers;
use crate::db::entities::payment;
use crate::db::{OfCustomer, Owned, find_owned, indexes, page_owned};
use crate::error::Result;
use crate::paging::Page;
use crate::{ids, metadata};

fn assemble(row: payment::Model) -> Result<Payment> {
    Ok(Payment {
        metadata: metadata::decode(&row.metadata)?,
        id: row.id,
        customer: row.customer_id,
        amount: row.amount,
        currency: row.currency,
        status: row.status,
        description: row.description,
        live: row.live,
        created_at: row.created_at,
    })
}

/// Records a payment, inside the caller's transaction.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    new: NewPayment,
) -> Result<Payment> {
    let row = payment::Model {
        id: ids::payment_id(),
        account_id: tenant.account_id.clone(),
        live: tenant.live,
        customer_id: new.customer,
        amount: new.amount,
        currency: new.currency,
        status: new.status,
        description: new.description,
        metadata: metadata::encode(&new.metadata),
        created_at: ids::now_micros(),
    };
    assemble(customers::store::insert_naming::<payment::Entity, _>(db, tenant, row).await?)
}

pub async fn get(db: &DatabaseConnection, tenant: &Tenant, id: &str) -> Result<Payment> {
    assemble(find_owned::<payment::Entity, _>(db, tenant, id).await?)
}

pub async fn list(
    db: &DatabaseConnection,
    tenant: &Tenant,
    query: &PaymentQuery,
) -> Result<Page<Payment>> {
    let scope = payment::Entity::of(tenant);
    let (filtered, index) = match &query.customer {
        Some(customer) => (
            payment::Entity::of_customer(tenant, customer),
            indexes::PAYMENTS_BY_CUSTOMER,
        ),
        None => (scope.clone(), indexes::PAYMENTS),
    };
    let page = page_owned(db, scope, filtered, index, &query.page).await?;
    page.try_map(assemble)
}

/// Detaches every payment of a customer being deleted (they stay readable)
/// and returns them as they were.
pub async fn detach_customer<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    customer_id: &str,
) -> Result<Vec<Payment>> {
    let attached = payment::Entity::of_customer(tenant, customer_id)
        .all(db)
        .await?;
    if attached.is_empty() {
        return Ok(Vec::new());
    }
    payment::Entity::update_many()
        .col_expr(
            payment::Column::CustomerId,
            Expr::value(Option::<String>::None),
        )
        .filter(payment::Entity::scope(tenant))
        .filter(payment::Column::CustomerId.eq(customer_id))
        .exec(db)
        .await?;
    attached.into_iter().map(assemble).collect()
}
