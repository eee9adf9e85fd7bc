//! `expand: ["customer"]` on payments and subscriptions: each object's
//! customer, read for a whole page in one round of queries (the customer rows
//! and their metadata) rather than one per object.

use std::collections::HashSet;
use std::future::Future;

use prost::Message;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};

use crate::auth::Tenant;
use crate::customers;
use crate::db::Tx;
use crate::error::{Error, Reason, Result, both};
use crate::events::Object;
use crate::paging::Page;
use crate::proto::customers::v1 as pb;
use crate::validation::{Violations, shown};

/// The expansions a request names, checked: only `customer` exists.
pub fn parse(expand: &[String]) -> Result<bool> {
    let mut v = Violations::default();
    for name in expand {
        if name != "customer" {
            v.add(
                "expand",
                Reason::InvalidValue,
                format!("cannot expand '{}': only customer", shown(name)),
            );
        }
    }
    v.finish(!expand.is_empty())
}

/// An object that names a customer and can carry it expanded.
pub trait WithCustomer {
    fn customer_id(&self) -> Option<&str>;
    fn set_expanded(&mut self, customer: pb::ExpandedCustomer);
}

impl WithCustomer for pb::Payment {
    fn customer_id(&self) -> Option<&str> {
        self.customer.as_deref()
    }

    fn set_expanded(&mut self, customer: pb::ExpandedCustomer) {
        self.expanded_customer = Some(customer);
    }
}

impl WithCustomer for pb::Subscription {
    fn customer_id(&self) -> Option<&str> {
        Some(&self.customer)
            .filter(|id| !id.is_empty())
            .map(String::as_str)
    }

    fn set_expanded(&mut self, customer: pb::ExpandedCustomer) {
        self.expanded_customer = Some(customer);
    }
}

/// Payments and subscriptions: objects that name a customer, created, read
/// and listed alike, their customer expanded when a call asks for it.
pub trait Expandable: Clone + Send + 'static {
    /// The object as the API shows it.
    type Message: From<Self> + WithCustomer + Send;
    /// A checked create request.
    type New: Send;
    /// A checked list request.
    type Query: Sync;
    /// The type of the event a create records.
    const CREATED: &'static str;

    /// The object as an event carries it.
    fn event(message: Self::Message) -> Object;

    /// Stores a new object, inside the caller's transaction.
    fn create(
        db: &DatabaseTransaction,
        tenant: &Tenant,
        new: Self::New,
    ) -> impl Future<Output = Result<Self>> + Send;

    /// The tenant's object with this id, or NOT_FOUND.
    fn get(
        db: &DatabaseConnection,
        tenant: &Tenant,
        id: &str,
    ) -> impl Future<Output = Result<Self>> + Send;

    /// One page of the tenant's objects.
    fn list(
        db: &DatabaseConnection,
        tenant: &Tenant,
        query: &Self::Query,
    ) -> impl Future<Output = Result<Page<Self>>> + Send;
}

/// Implements [`Expandable`] for a row type with the `create`, `get` and
/// `list` functions of its store module.
macro_rules! expandable {
    ($row:ident as $message:ty, new: $new:ty, query: $query:ty,
     event: $created:expr, $object:path, store: $store:ident) => {
        impl $crate::expand::Expandable for $row {
            type Message = $message;
            type New = $new;
            type Query = $query;
            const CREATED: &'static str = $created;

            fn event(message: $message) -> $crate::events::Object {
                $object(message)
            }

            fn create(
                db: &::sea_orm::DatabaseTransaction,
                tenant: &$crate::auth::Tenant,
                new: $new,
            ) -> impl ::std::future::Future<Output = $crate::error::Result<Self>> + Send {
                $store::create(db, tenant, new)
            }

            fn get(
                db: &::sea_orm::DatabaseConnection,
                tenant: &$crate::auth::Tenant,
                id: &str,
            ) -> impl ::std::future::Future<Output = $crate::error::Result<Self>> + Send {
                $store::get(db, tenant, id)
            }

            fn list(
                db: &::sea_orm::DatabaseConnection,
                tenant: &$crate::auth::Tenant,
                query: &$query,
            ) -> impl ::std::future::Future<
                Output = $crate::error::Result<$crate::paging::Page<Self>>,
            > + Send {
                $store::list(db, tenant, query)
            }
        }
    };
}
pub(crate) use expandable;

/// A create's work in its transaction: the object stored, its event
/// recorded, and the object answered, its customer expanded when `expand` is set.
pub async fn create<R: Expandable>(tx: Tx<'_>, new: R::New, expand: bool) -> Result<R::Message> {
    let tenant = tx.tenant();
    let created = R::create(&tx, tenant, new).await?;
    tx.record(R::CREATED, R::event(created.clone().into()), None);
    message(&*tx, tenant, created, expand).await
}

/// A get call's answer: the tenant's object `id`, its customer expanded when
/// `expand` asks for it.
pub async fn get<R: Expandable>(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: &str,
    expand: &[String],
) -> Result<R::Message> {
    let expand = parse(expand)?;
    let found = R::get(db, tenant, id).await?;
    message(db, tenant, found, expand).await
}

/// A list call's page of `query` (checked with `expand`, their violations
/// reported together). For the list of customer `of`, a customer the tenant
/// does not have is NOT_FOUND.
pub async fn page<R: Expandable>(
    db: &DatabaseConnection,
    tenant: &Tenant,
    expand: &[String],
    query: Result<R::Query>,
    of: Option<&str>,
) -> Result<Page<R::Message>> {
    let (expand, query) = both(parse(expand), query)?;
    if let Some(id) = of
        && !customers::store::exists(db, tenant, id).await?
    {
        return Err(Error::not_found("customer", id));
    }
    let page = R::list(db, tenant, &query).await?;
    Ok(Page {
        items: messages(db, tenant, page.items, expand).await?,
        has_more: page.has_more,
        total: page.total,
    })
}

/// `rows` as messages, their customers expanded when `expand` is set.
pub async fn messages<C, R, T>(
    db: &C,
    tenant: &Tenant,
    rows: Vec<R>,
    expand: bool,
) -> Result<Vec<T>>
where
    C: ConnectionTrait,
    T: From<R> + WithCustomer,
{
    let mut messages: Vec<T> = rows.into_iter().map(T::from).collect();
    if expand {
        customers_of(db, tenant, &mut messages).await?;
    }
    Ok(messages)
}

/// One row as its message, its customer expanded when `expand` is set.
pub async fn message<C, R, T>(db: &C, tenant: &Tenant, row: R, expand: bool) -> Result<T>
where
    C: ConnectionTrait,
    T: From<R> + WithCustomer,
{
    let mut message = [T::from(row)];
    if expand {
        customers_of(db, tenant, &mut message).await?;
    }
    let [message] = message;
    Ok(message)
}

/// Sets the expanded customer of every object whose customer still exists.
pub async fn customers_of<C: ConnectionTrait, T: WithCustomer>(
    db: &C,
    tenant: &Tenant,
    objects: &mut [T],
) -> Result<()> {
    let wanted: HashSet<&str> = objects.iter().filter_map(T::customer_id).collect();
    let wanted: Vec<String> = wanted.into_iter().map(str::to_owned).collect();
    let found = customers::store::by_ids(db, tenant, wanted).await?;
    for object in objects {
        let Some(customer) = object.customer_id().and_then(|id| found.get(id)) else {
            continue;
        };
        object.set_expanded(expanded(pb::Customer::from(customer.clone())));
    }
    Ok(())
}

/// `ExpandedCustomer` has `Customer`'s fields, number for number, so a
/// customer's encoding is its expansion's.
fn expanded(customer: pb::Customer) -> pb::ExpandedCustomer {
    pb::ExpandedCustomer::decode(customer.encode_to_vec().as_slice())
        .expect("ExpandedCustomer decodes what Customer encodes")
}
