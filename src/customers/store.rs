//! Customer storage: plain functions over a SeaORM connection.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Select, TransactionTrait,
};

use super::{Change, Customer, CustomerChanges, ListQuery, MetadataChange, NewCustomer};
use crate::auth::Tenant;
use crate::db::entities::{customer, customer_metadata};
use crate::error::{Error, Reason, Result};
use crate::paging::{self, Keyset, Page};
use crate::validation::METADATA_MAX_KEYS;
use crate::{ids, payments, subscriptions};

const RESOURCE: &str = "customer";

fn tenant_scope(tenant: &Tenant) -> Condition {
    tenant.scope(customer::Column::AccountId, customer::Column::Live)
}

fn assemble(row: customer::Model, metadata: BTreeMap<String, String>) -> Customer {
    Customer {
        id: row.id,
        live: row.live,
        email: row.email,
        name: row.name,
        phone: row.phone,
        description: row.description,
        metadata,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn load_metadata<C: ConnectionTrait>(
    db: &C,
    ids: Vec<String>,
) -> Result<HashMap<String, BTreeMap<String, String>>> {
    let mut by_customer: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_customer);
    }
    let rows = customer_metadata::Entity::find()
        .filter(customer_metadata::Column::CustomerId.is_in(ids))
        .all(db)
        .await?;
    for row in rows {
        by_customer
            .entry(row.customer_id)
            .or_default()
            .insert(row.key, row.value);
    }
    Ok(by_customer)
}

async fn insert_metadata<C: ConnectionTrait>(
    db: &C,
    customer_id: &str,
    entries: &BTreeMap<String, String>,
    overwrite: bool,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.iter().map(|(k, v)| customer_metadata::ActiveModel {
        customer_id: sea_orm::ActiveValue::Set(customer_id.to_owned()),
        key: sea_orm::ActiveValue::Set(k.clone()),
        value: sea_orm::ActiveValue::Set(v.clone()),
    });
    let mut insert = customer_metadata::Entity::insert_many(rows);
    if overwrite {
        insert = insert.on_conflict(
            OnConflict::columns([
                customer_metadata::Column::CustomerId,
                customer_metadata::Column::Key,
            ])
            .update_column(customer_metadata::Column::Value)
            .to_owned(),
        );
    }
    insert.exec_without_returning(db).await?;
    Ok(())
}

/// Reads one customer of `tenant`, with its metadata.
async fn find<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<Customer> {
    if !ids::could_exist(id) {
        return Err(Error::not_found(RESOURCE, id));
    }
    let row = customer::Entity::find_by_id(id.to_owned())
        .filter(tenant_scope(tenant))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(RESOURCE, id))?;
    let mut metadata = load_metadata(db, vec![row.id.clone()]).await?;
    let own = metadata.remove(&row.id).unwrap_or_default();
    Ok(assemble(row, own))
}

/// Inserts a customer with its metadata, inside the caller's transaction.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    new: NewCustomer,
) -> Result<Customer> {
    let now = ids::now_micros();
    let row = customer::Model {
        id: ids::customer_id(),
        account_id: tenant.account_id.clone(),
        live: tenant.live,
        email: new.email,
        name: new.name,
        phone: new.phone,
        description: new.description,
        created_at: now,
        updated_at: now,
    };
    customer::Entity::insert(customer::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await?;
    insert_metadata(db, &row.id, &new.metadata, false).await?;
    Ok(assemble(row, new.metadata))
}

pub async fn get(db: &DatabaseConnection, tenant: &Tenant, id: &str) -> Result<Customer> {
    find(db, tenant, id).await
}

fn change_expr(change: &Change<String>) -> Option<Expr> {
    match change {
        Change::Keep => None,
        Change::Set(v) => Some(Expr::value(v.clone())),
        Change::Clear => Some(Expr::value(Option::<String>::None)),
    }
}

/// Writes the update's scalar fields and `updated_at`, which also takes the
/// row's write lock for the rest of the transaction. False when no such customer.
async fn write_row<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: &str,
    changes: &CustomerChanges,
) -> Result<bool> {
    if !ids::could_exist(id) {
        return Ok(false);
    }
    let mut update = customer::Entity::update_many()
        .col_expr(customer::Column::UpdatedAt, Expr::value(ids::now_micros()))
        .filter(customer::Column::Id.eq(id))
        .filter(tenant_scope(tenant));
    for (column, change) in [
        (customer::Column::Email, &changes.email),
        (customer::Column::Name, &changes.name),
        (customer::Column::Phone, &changes.phone),
        (customer::Column::Description, &changes.description),
    ] {
        if let Some(expr) = change_expr(change) {
            update = update.col_expr(column, expr);
        }
    }
    Ok(update.exec(db).await?.rows_affected > 0)
}

async fn apply_metadata<C: ConnectionTrait>(
    db: &C,
    id: &str,
    change: &MetadataChange,
) -> Result<()> {
    if let Some(replacement) = &change.replace {
        customer_metadata::Entity::delete_many()
            .filter(customer_metadata::Column::CustomerId.eq(id))
            .exec(db)
            .await?;
        insert_metadata(db, id, replacement, true).await?;
    }
    if !change.remove.is_empty() {
        customer_metadata::Entity::delete_many()
            .filter(customer_metadata::Column::CustomerId.eq(id))
            .filter(customer_metadata::Column::Key.is_in(change.remove.iter().cloned()))
            .exec(db)
            .await?;
    }
    insert_metadata(db, id, &change.set, true).await?;
    let keys = customer_metadata::Entity::find()
        .filter(customer_metadata::Column::CustomerId.eq(id))
        .count(db)
        .await?;
    if keys > METADATA_MAX_KEYS as u64 {
        return Err(Error::invalid(
            "customer.metadata",
            Reason::TooManyKeys,
            format!("must have at most {METADATA_MAX_KEYS} keys, the update would leave {keys}"),
        ));
    }
    Ok(())
}

/// Applies `changes` atomically. Concurrent updates of one customer are
/// serialised by the row lock the first statement takes, so none is lost.
pub async fn update(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: &str,
    changes: CustomerChanges,
) -> Result<Customer> {
    let txn = db.begin().await?;
    if !write_row(&txn, tenant, id, &changes).await? {
        return Err(Error::not_found(RESOURCE, id));
    }
    if !changes.metadata.is_empty() {
        apply_metadata(&txn, id, &changes.metadata).await?;
    }
    let customer = find(&txn, tenant, id).await?;
    txn.commit().await?;
    Ok(customer)
}

/// Takes the write lock of a customer's row for the rest of the transaction
/// without changing it. False when the tenant has no such customer.
pub async fn lock<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<bool> {
    if !ids::could_exist(id) {
        return Ok(false);
    }
    let result = customer::Entity::update_many()
        .col_expr(
            customer::Column::UpdatedAt,
            Expr::col(customer::Column::UpdatedAt),
        )
        .filter(customer::Column::Id.eq(id))
        .filter(tenant_scope(tenant))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Whether the tenant has a customer with this id.
pub async fn exists<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<bool> {
    if !ids::could_exist(id) {
        return Ok(false);
    }
    let found = customer::Entity::find_by_id(id.to_owned())
        .filter(tenant_scope(tenant))
        .select_only()
        .column(customer::Column::Id)
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Deletes a customer and returns it as it was. In one transaction: its
/// active, trialing and past-due subscriptions are canceled, its payments
/// detached, and the customer removed; any failure leaves all of it as it was.
pub async fn delete(db: &DatabaseConnection, tenant: &Tenant, id: &str) -> Result<Customer> {
    let txn = db.begin().await?;
    // Lock first (a write, so SQLite takes its write lock before reading).
    if !lock(&txn, tenant, id).await? {
        return Err(Error::not_found(RESOURCE, id));
    }
    let customer = find(&txn, tenant, id).await?;
    subscriptions::store::cancel_all_of_customer(&txn, tenant, id, ids::now_micros()).await?;
    payments::store::detach_customer(&txn, tenant, id).await?;
    customer_metadata::Entity::delete_many()
        .filter(customer_metadata::Column::CustomerId.eq(id))
        .exec(&txn)
        .await?;
    customer::Entity::delete_many()
        .filter(customer::Column::Id.eq(id))
        .filter(tenant_scope(tenant))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(customer)
}

fn filtered(tenant: &Tenant, query: &ListQuery) -> Select<customer::Entity> {
    let mut select = customer::Entity::find().filter(tenant_scope(tenant));
    if let Some(email) = &query.email {
        select = select.filter(customer::Column::Email.eq(email.as_str()));
    }
    if let Some(gte) = query.created_gte {
        select = select.filter(customer::Column::CreatedAt.gte(gte));
    }
    if let Some(lte) = query.created_lte {
        select = select.filter(customer::Column::CreatedAt.lte(lte));
    }
    if let Some(tree) = &query.filter {
        select = select.filter(super::filter::condition(tree));
    }
    select
}

/// One page of customers, newest first.
pub async fn list(
    db: &DatabaseConnection,
    tenant: &Tenant,
    query: ListQuery,
) -> Result<Page<Customer>> {
    let scope = customer::Entity::find().filter(tenant_scope(tenant));
    let page = paging::fetch(
        db,
        RESOURCE,
        scope,
        filtered(tenant, &query),
        Keyset {
            created: customer::Column::CreatedAt,
            id: customer::Column::Id,
            index: if query.email.is_some() {
                "customers_tenant_email_created_idx"
            } else {
                "customers_tenant_created_idx"
            },
        },
        &query.page,
    )
    .await?;
    let mut metadata = load_metadata(db, page.items.iter().map(|r| r.id.clone()).collect()).await?;
    Ok(page.map(|row| {
        let own = metadata.remove(&row.id).unwrap_or_default();
        assemble(row, own)
    }))
}
