//! Turns `PaymentService` requests into validated domain values.

use customerd_wire::limits::Bound;
use std::collections::BTreeMap;

use super::{NewPayment, PaymentQuery, PaymentStatus};
use crate::currency;
use crate::error::{Reason, Result};
use crate::paging;
use crate::proto::customers::v1 as pb;
use crate::validation::{DESCRIPTION_MAX, Violations};

pub fn status_from_proto(value: i32) -> Option<PaymentStatus> {
    match pb::PaymentStatus::try_from(value).ok()? {
        pb::PaymentStatus::Unspecified => None,
        pb::PaymentStatus::Pending => Some(PaymentStatus::Pending),
        pb::PaymentStatus::Succeeded => Some(PaymentStatus::Succeeded),
        pb::PaymentStatus::Failed => Some(PaymentStatus::Failed),
        pb::PaymentStatus::Refunded => Some(PaymentStatus::Refunded),
    }
}

pub fn new_payment(req: pb::CreatePaymentRequest) -> Result<NewPayment> {
    let mut v = Violations::default();
    match req.customer.as_deref() {
        Some("") => v.add("customer", Reason::InvalidValue, "must not be empty"),
        Some(customer) => {
            v.text("customer", customer);
        }
        None => {}
    }
    if req.amount <= 0 {
        v.out_of_bounds("amount", Bound::Gt, 0, "must be greater than 0");
    }
    let currency = if req.currency.is_empty() {
        v.add("currency", Reason::Required, "is required");
        String::new()
    } else {
        currency::normalize(&req.currency).unwrap_or_else(|| {
            v.add(
                "currency",
                Reason::InvalidValue,
                "is not an ISO 4217 currency code",
            );
            String::new()
        })
    };
    let status = match req.status {
        0 => PaymentStatus::Succeeded,
        other => status_from_proto(other).unwrap_or_else(|| {
            v.add(
                "status",
                Reason::InvalidValue,
                format!("unknown status {other}"),
            );
            PaymentStatus::Succeeded
        }),
    };
    if let Some(description) = &req.description {
        v.max_chars("description", description, DESCRIPTION_MAX);
    }
    let metadata: BTreeMap<String, String> = req.metadata.into_iter().collect();
    v.metadata("metadata", &metadata);
    v.finish(NewPayment {
        customer: req.customer,
        amount: req.amount,
        currency,
        status,
        description: req.description,
        metadata,
    })
}

pub fn list_query(req: &pb::ListPaymentsRequest) -> Result<PaymentQuery> {
    let mut v = Violations::default();
    let customer = v.text_filter("customer", &req.customer);
    let page = paging::parse(&mut v, req);
    v.finish(PaymentQuery { page, customer })
}

/// A customer's payments, from `ListCustomerPayments`.
pub fn customer_query(req: &pb::ListCustomerPaymentsRequest) -> Result<PaymentQuery> {
    let mut v = Violations::default();
    let page = paging::parse(&mut v, req);
    v.finish(PaymentQuery {
        page,
        customer: Some(req.id.clone()),
    })
}
