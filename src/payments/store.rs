//! Payment storage: plain functions over a SeaORM connection.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

use super::{NewPayment, Payment, PaymentQuery, PaymentStatus};
use crate::auth::Tenant;
use crate::customers;
use crate::db::entities::payment;
use crate::error::{Error, Reason, Result};
use crate::paging::{self, Keyset, Page};
use crate::validation::shown;
use crate::{ids, metadata};

const RESOURCE: &str = "payment";

fn tenant_scope(tenant: &Tenant) -> Condition {
    tenant.scope(payment::Column::AccountId, payment::Column::Live)
}

fn assemble(row: payment::Model) -> Result<Payment> {
    let status = PaymentStatus::parse(&row.status)
        .ok_or_else(|| DbErr::Custom(format!("unknown payment status '{}'", row.status)))?;
    Ok(Payment {
        metadata: metadata::decode(&row.metadata)?,
        id: row.id,
        customer: row.customer_id,
        amount: row.amount,
        currency: row.currency,
        status,
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
        customer_id: new.customer.clone(),
        amount: new.amount,
        currency: new.currency,
        status: new.status.as_str().to_owned(),
        description: new.description,
        metadata: metadata::encode(&new.metadata),
        created_at: ids::now_micros(),
    };
    // Holding the customer's row lock keeps a concurrent delete from missing this payment.
    if let Some(customer) = &new.customer
        && !customers::store::lock(db, tenant, customer).await?
    {
        return Err(Error::invalid(
            "customer",
            Reason::InvalidValue,
            format!("no such customer: '{}'", shown(customer)),
        ));
    }
    payment::Entity::insert(payment::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await?;
    assemble(row)
}

pub async fn get(db: &DatabaseConnection, tenant: &Tenant, id: &str) -> Result<Payment> {
    if !ids::could_exist(id) {
        return Err(Error::not_found(RESOURCE, id));
    }
    let row = payment::Entity::find_by_id(id.to_owned())
        .filter(tenant_scope(tenant))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(RESOURCE, id))?;
    assemble(row)
}

pub async fn list(
    db: &DatabaseConnection,
    tenant: &Tenant,
    query: &PaymentQuery,
) -> Result<Page<Payment>> {
    let scope = payment::Entity::find().filter(tenant_scope(tenant));
    let mut filtered = scope.clone();
    if let Some(customer) = &query.customer {
        filtered = filtered.filter(payment::Column::CustomerId.eq(customer.as_str()));
    }
    let page = paging::fetch(
        db,
        RESOURCE,
        scope,
        filtered,
        Keyset {
            created: payment::Column::CreatedAt,
            id: payment::Column::Id,
            index: if query.customer.is_some() {
                "payments_tenant_customer_created_idx"
            } else {
                "payments_tenant_created_idx"
            },
        },
        &query.page,
    )
    .await?;
    page.try_map(assemble)
}

/// Detaches every payment of a customer being deleted; they stay readable.
pub async fn detach_customer<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    customer_id: &str,
) -> Result<u64> {
    let result = payment::Entity::update_many()
        .col_expr(
            payment::Column::CustomerId,
            Expr::value(Option::<String>::None),
        )
        .filter(tenant_scope(tenant))
        .filter(payment::Column::CustomerId.eq(customer_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
