//! Customer storage: plain functions over a SeaORM connection.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Select, Statement,
};

use super::texts::{self, Texts};
use super::{Customer, CustomerChanges, ListQuery, MetadataChange, NewCustomer};
use crate::auth::Tenant;
use crate::db::entities::{customer, customer_count, customer_metadata};
use crate::db::{OfCustomer, Owned, Tx, indexes, page_owned, text_search};
use crate::error::{Error, Reason, Result};
use crate::paging::Page;
use crate::validation::{METADATA_MAX_KEYS, shown};
use crate::{ids, payments, subscriptions};

const RESOURCE: &str = <customer::Entity as Owned>::RESOURCE;

fn assemble(row: customer::Model, metadata: BTreeMap<String, String>) -> Customer {
    Customer {
        texts: Texts::of_row(&row),
        id: row.id,
        live: row.live,
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

fn metadata_rows(
    customer_id: &str,
    entries: &BTreeMap<String, String>,
) -> Vec<customer_metadata::ActiveModel> {
    entries
        .iter()
        .map(|(k, v)| customer_metadata::ActiveModel {
            customer_id: sea_orm::ActiveValue::Set(customer_id.to_owned()),
            key: sea_orm::ActiveValue::Set(k.clone()),
            value: sea_orm::ActiveValue::Set(v.clone()),
        })
        .collect()
}

/// Sets metadata entries of an existing customer, replacing values of keys it has.
async fn upsert_metadata<C: ConnectionTrait>(
    db: &C,
    customer_id: &str,
    entries: &BTreeMap<String, String>,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    customer_metadata::Entity::insert_many(metadata_rows(customer_id, entries))
        .on_conflict(
            OnConflict::columns([
                customer_metadata::Column::CustomerId,
                customer_metadata::Column::Key,
            ])
            .update_column(customer_metadata::Column::Value)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Reads one customer of `tenant` with its metadata, in one statement (so
/// from one snapshot).
async fn find<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<Customer> {
    if !ids::could_exist(id) {
        return Err(Error::not_found(RESOURCE, id));
    }
    let found = customer::Entity::one_of(tenant, id)
        .find_with_related(customer_metadata::Entity)
        .all(db)
        .await?;
    let (row, entries) = found
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(RESOURCE, id))?;
    let metadata = entries.into_iter().map(|m| (m.key, m.value)).collect();
    Ok(assemble(row, metadata))
}

/// A new customer with its metadata, inserted when the caller's group of
/// writes commits (no one can refer to it before).
pub fn create(tx: Tx<'_>, tenant: &Tenant, new: NewCustomer) -> Customer {
    let row = texts::row(ids::customer_id(), tenant, new.texts, ids::now_micros());
    tx.defer_customer(customer::ActiveModel::from(row.clone()));
    tx.defer_metadata(metadata_rows(&row.id, &new.metadata));
    assemble(row, new.metadata)
}

/// The customers among `ids` that the tenant has, by id: two queries
/// however many there are.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    ids: Vec<String>,
) -> Result<HashMap<String, Customer>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = customer::Entity::find()
        .filter(customer::Entity::scope(tenant))
        .filter(customer::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut metadata = load_metadata(db, rows.iter().map(|r| r.id.clone()).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = metadata.remove(&row.id).unwrap_or_default();
            (row.id.clone(), assemble(row, own))
        })
        .collect())
}

pub async fn get(db: &DatabaseConnection, tenant: &Tenant, id: &str) -> Result<Customer> {
    find(db, tenant, id).await
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
    let written = customer::Entity::update_many()
        .set(texts::changed(&changes.texts, ids::now_micros()))
        .filter(customer::Column::Id.eq(id))
        .filter(customer::Entity::scope(tenant))
        .exec(db)
        .await?;
    Ok(written.rows_affected > 0)
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
        upsert_metadata(db, id, replacement).await?;
    }
    if !change.remove.is_empty() {
        customer_metadata::Entity::delete_many()
            .filter(customer_metadata::Column::CustomerId.eq(id))
            .filter(customer_metadata::Column::Key.is_in(change.remove.iter().cloned()))
            .exec(db)
            .await?;
    }
    upsert_metadata(db, id, &change.set).await?;
    let keys = customer_metadata::Entity::find()
        .filter(customer_metadata::Column::CustomerId.eq(id))
        .count(db)
        .await?;
    if keys > METADATA_MAX_KEYS as u64 {
        return Err(Error::over_limit(
            "customer.metadata",
            Reason::TooManyKeys,
            METADATA_MAX_KEYS,
            format!("must have at most {METADATA_MAX_KEYS} keys, the update would leave {keys}"),
        ));
    }
    Ok(())
}

/// Applies `changes`, inside the caller's transaction (which must be undone
/// if this fails), and returns the customer before and after. Concurrent
/// updates of one customer are serialised by the row lock the first
/// statement takes, so none is lost.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: &str,
    changes: &CustomerChanges,
) -> Result<(Customer, Customer)> {
    // Locked before it is read, so `before` is what this update changes.
    if !lock(db, tenant, id).await? {
        return Err(Error::not_found(RESOURCE, id));
    }
    let before = find(db, tenant, id).await?;
    write_row(db, tenant, id, changes).await?;
    if !changes.metadata.is_empty() {
        apply_metadata(db, id, &changes.metadata).await?;
    }
    Ok((before, find(db, tenant, id).await?))
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
        .filter(customer::Entity::scope(tenant))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Locks the customer another object is about to refer to (so that a
/// concurrent delete cannot miss the new object); a customer the tenant does
/// not have is an invalid value of `field`.
pub async fn require<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: &str,
    field: &str,
) -> Result<()> {
    if lock(db, tenant, id).await? {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        Reason::InvalidValue,
        format!("no such customer: '{}'", shown(id)),
    ))
}

/// Inserts `row`, a new object of the tenant, after locking the customer it
/// names (if any; see [`require`]), and returns it.
pub async fn insert_naming<E, C>(db: &C, tenant: &Tenant, row: E::Model) -> Result<E::Model>
where
    E: OfCustomer,
    E::Model: Clone,
    E::ActiveModel: From<E::Model>,
    C: ConnectionTrait,
{
    if let Some(customer) = E::customer_of(&row) {
        require(db, tenant, customer, "customer").await?;
    }
    E::insert(E::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(row)
}

/// Whether the tenant has a customer with this id.
pub async fn exists<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<bool> {
    if !ids::could_exist(id) {
        return Ok(false);
    }
    let found = customer::Entity::one_of(tenant, id)
        .select_only()
        .column(customer::Column::Id)
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// What deleting a customer did.
pub struct Deletion {
    /// The customer as it was.
    pub customer: Customer,
    /// Its subscriptions that were active, trialing or past due, now canceled.
    pub canceled: Vec<subscriptions::Subscription>,
    /// Its payments as they were, before they were detached.
    pub detached: Vec<payments::Payment>,
}

/// Deletes a customer inside the caller's transaction: its active, trialing
/// and past-due subscriptions are canceled, its payments detached, and the
/// customer removed. The caller's transaction must be undone if this fails,
/// so that none of it happens.
pub async fn delete<C: ConnectionTrait>(db: &C, tenant: &Tenant, id: &str) -> Result<Deletion> {
    // Lock first, so that nothing is read before the row is ours.
    if !lock(db, tenant, id).await? {
        return Err(Error::not_found(RESOURCE, id));
    }
    let customer = find(db, tenant, id).await?;
    let canceled =
        subscriptions::store::cancel_all_of_customer(db, tenant, id, ids::now_micros()).await?;
    let detached = payments::store::detach_customer(db, tenant, id).await?;
    customer_metadata::Entity::delete_many()
        .filter(customer_metadata::Column::CustomerId.eq(id))
        .exec(db)
        .await?;
    customer::Entity::delete_many()
        .filter(customer::Column::Id.eq(id))
        .filter(customer::Entity::scope(tenant))
        .exec(db)
        .await?;
    Ok(Deletion {
        customer,
        canceled,
        detached,
    })
}

/// How many customers `tenant` has, from the counts the database keeps.
pub async fn total<C: ConnectionTrait>(db: &C, tenant: &Tenant) -> Result<u64> {
    // At most a few rows, summed here: SQL sums have a different type on each backend.
    let slots: Vec<i64> = customer_count::Entity::find()
        .filter(tenant.scope(
            customer_count::Column::AccountId,
            customer_count::Column::Live,
        ))
        .select_only()
        .column(customer_count::Column::Count)
        .into_tuple()
        .all(db)
        .await?;
    Ok(u64::try_from(slots.iter().sum::<i64>()).unwrap_or(0))
}

/// The page's rows, from the text-search index rather than the tenant's
/// keyset when `driver` names a rare term (see [`rare_term`]).
fn filtered(
    backend: DbBackend,
    tenant: &Tenant,
    query: &ListQuery,
    driver: Option<(&str, String)>,
) -> Select<customer::Entity> {
    let mut select = match driver {
        None => customer::Entity::find().filter(customer::Entity::scope(tenant)),
        // The unary `+` keeps SQLite from reading the tenant's rows through
        // their index: the few matches are read by rowid and sorted.
        Some((field, pattern)) => customer::Entity::find()
            .filter(Expr::cust_with_values(
                r#"+"customers"."account_id" = ? AND +"customers"."live" = ?"#,
                [
                    sea_orm::Value::from(tenant.account_id.as_str()),
                    sea_orm::Value::from(tenant.live),
                ],
            ))
            .filter(Expr::cust_with_values(
                format!(
                    r#""customers".rowid IN (SELECT rowid FROM {} WHERE {field} LIKE ?)"#,
                    text_search::SQLITE_TABLE
                ),
                [pattern],
            )),
    };
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
        select = select.filter(super::filter::condition(backend, tree));
    }
    select
}

/// Below this many index matches a term is rare enough to read the page
/// from its matches; above it, scanning the tenant newest first finds a
/// page of matches sooner.
const RARE: u64 = 1000;

/// On SQLite, the rarest substring term the filter requires, if the
/// text-search index holds fewer than [`RARE`] rows matching it. Each probe
/// reads at most that many index entries.
async fn rare_term(
    db: &DatabaseConnection,
    query: &ListQuery,
) -> Result<Option<(&'static str, String)>> {
    let Some(tree) = &query.filter else {
        return Ok(None);
    };
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let mut rarest: Option<(u64, (&'static str, String))> = None;
    for (field, pattern) in super::filter::indexable_terms(tree) {
        let probe = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "SELECT count(*) AS n FROM (SELECT 1 FROM {} WHERE {field} LIKE ? LIMIT {RARE})",
                text_search::SQLITE_TABLE
            ),
            [pattern.clone().into()],
        );
        let count: i64 = match db.query_one_raw(probe).await? {
            Some(row) => row.try_get("", "n")?,
            None => continue,
        };
        let count = u64::try_from(count).unwrap_or(RARE);
        if count < RARE && rarest.as_ref().is_none_or(|(n, _)| count < *n) {
            rarest = Some((count, (field, pattern)));
        }
    }
    Ok(rarest.map(|(_, term)| term))
}

/// One page of customers, newest first. The total of an unfiltered list
/// comes from the kept counts; a filtered one is counted.
pub async fn list(
    db: &DatabaseConnection,
    tenant: &Tenant,
    query: ListQuery,
) -> Result<Page<Customer>> {
    let unfiltered = query.email.is_none()
        && query.created_gte.is_none()
        && query.created_lte.is_none()
        && query.filter.is_none();
    let kept_total = if query.page.include_total && unfiltered {
        Some(total(db, tenant).await?)
    } else {
        None
    };
    let mut paging = query.page.clone();
    paging.include_total &= kept_total.is_none();
    let scope = customer::Entity::find().filter(customer::Entity::scope(tenant));
    let index = if query.email.is_some() {
        indexes::CUSTOMERS_BY_EMAIL
    } else {
        indexes::CUSTOMERS
    };
    let backend = db.get_database_backend();
    let rows = filtered(backend, tenant, &query, rare_term(db, &query).await?);
    let mut page = page_owned(db, scope, rows, index, &paging).await?;
    page.total = page.total.or(kept_total);
    let mut metadata = load_metadata(db, page.items.iter().map(|r| r.id.clone()).collect()).await?;
    Ok(page.map(|row| {
        let own = metadata.remove(&row.id).unwrap_or_default();
        assemble(row, own)
    }))
}
