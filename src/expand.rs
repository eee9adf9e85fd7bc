//! `expand: ["customer"]` on payments and subscriptions: each object's
//! customer, read for a whole page in one round of queries (the customer rows
//! and their metadata) rather than one per object.

use std::collections::HashSet;

use prost::Message;
use sea_orm::ConnectionTrait;

use crate::auth::Tenant;
use crate::customers;
use crate::error::{Reason, Result};
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
