//! Turns `SubscriptionService` requests into validated domain values.

use std::collections::BTreeMap;

use super::{NewSubscription, SubscriptionQuery, SubscriptionStatus};
use crate::error::{Reason, Result};
use crate::paging::{self, PageRequest};
use crate::proto::customers::v1 as pb;
use crate::validation::{PLAN_MAX, Violations};

/// `None` for UNSPECIFIED; a violation for a number the enum does not have.
fn status(v: &mut Violations, field: &str, value: i32) -> Option<SubscriptionStatus> {
    match pb::SubscriptionStatus::try_from(value) {
        Ok(pb::SubscriptionStatus::Unspecified) => None,
        Ok(pb::SubscriptionStatus::Active) => Some(SubscriptionStatus::Active),
        Ok(pb::SubscriptionStatus::Trialing) => Some(SubscriptionStatus::Trialing),
        Ok(pb::SubscriptionStatus::PastDue) => Some(SubscriptionStatus::PastDue),
        Ok(pb::SubscriptionStatus::Canceled) => Some(SubscriptionStatus::Canceled),
        Err(_) => {
            v.add(
                field,
                Reason::InvalidValue,
                format!("unknown status {value}"),
            );
            None
        }
    }
}

pub fn new_subscription(req: pb::CreateSubscriptionRequest) -> Result<NewSubscription> {
    let mut v = Violations::default();
    if req.customer.is_empty() {
        v.add("customer", Reason::Required, "is required");
    } else {
        v.text("customer", &req.customer);
    }
    if req.plan.is_empty() {
        v.add("plan", Reason::Required, "is required");
    } else {
        v.max_chars("plan", &req.plan, PLAN_MAX);
    }
    let status = match status(&mut v, "status", req.status) {
        None => SubscriptionStatus::Active,
        Some(SubscriptionStatus::Canceled) => {
            v.add(
                "status",
                Reason::InvalidValue,
                "a new subscription must be active, trialing or past_due",
            );
            SubscriptionStatus::Active
        }
        Some(s) => s,
    };
    let metadata: BTreeMap<String, String> = req.metadata.into_iter().collect();
    v.metadata("metadata", &metadata);
    v.finish(NewSubscription {
        customer: req.customer,
        plan: req.plan,
        status,
        metadata,
    })
}

fn query(
    v: Violations,
    page: PageRequest,
    customer: Option<String>,
    status: Option<SubscriptionStatus>,
) -> Result<SubscriptionQuery> {
    v.finish(SubscriptionQuery {
        page,
        customer,
        status,
    })
}

pub fn list_query(req: &pb::ListSubscriptionsRequest) -> Result<SubscriptionQuery> {
    let mut v = Violations::default();
    let customer = v.text_filter("customer", &req.customer);
    let page = paging::parse(&mut v, req);
    let status = status(&mut v, "status", req.status);
    query(v, page, customer, status)
}

/// A customer's subscriptions, from `ListCustomerSubscriptions`.
pub fn customer_query(req: &pb::ListCustomerSubscriptionsRequest) -> Result<SubscriptionQuery> {
    let mut v = Violations::default();
    let page = paging::parse(&mut v, req);
    let status = status(&mut v, "status", req.status);
    query(v, page, Some(req.id.clone()), status)
}
