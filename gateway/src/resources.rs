//! The calls behind each kind of object, so that every route is one generic
//! handler: bind the request, make the call, hand the object or page to the
//! profile's writer.

use std::future::Future;
use std::pin::Pin;

use crate::auth::Caller;
use crate::body::Body;
use crate::error::ApiError;
use crate::profiles::{ListReply, Object, Profile, Upstream};
use crate::proto::pb;
use crate::query::{Paging, Query};
use crate::{customers, payments, subscriptions};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What a call that answers with one object gives.
pub type Answer<T> = BoxFuture<Result<Option<T>, tonic::Status>>;

/// What a list call gives: its objects, whether more lie beyond, the total if asked.
pub type Page<T> = BoxFuture<Result<(Vec<T>, bool, Option<i64>), tonic::Status>>;

/// One kind of object the gateway serves.
pub trait Resource: Object + Sized + Send + 'static {
    /// Its collection under a profile's base path, e.g. `/payments`.
    const COLLECTION: &'static str;

    /// Whether its objects name a customer that `expand` can put in place.
    const EXPANDS: bool;

    /// `POST` on the collection: the body bound into a create call (or,
    /// when it does not bind cleanly, into a check of the rest), with the
    /// expansions the query asked for.
    fn create<P: Profile>(
        upstream: &Upstream,
        caller: &Caller,
        body: Body,
        expand: Vec<String>,
    ) -> BoxFuture<Result<Option<Self>, ApiError>>;

    /// `GET` on one object.
    fn retrieve(
        upstream: &Upstream,
        caller: &Caller,
        id: String,
        expand: Vec<String>,
    ) -> Answer<Self>;
}

/// Objects listed on their collection and under a customer.
pub trait Listed: Resource {
    /// Binds the list's own query parameters (after paging) into a list
    /// call: all of the tenant's objects, or those of customer `of`.
    fn list<P: Profile>(
        upstream: &Upstream,
        caller: &Caller,
        query: &mut Query,
        paging: &Paging,
        of: Option<String>,
    ) -> Page<Self>;
}

impl Listed for pb::Customer {
    /// Customers are listed on their collection only, with the profile's filters.
    fn list<P: Profile>(
        upstream: &Upstream,
        caller: &Caller,
        query: &mut Query,
        paging: &Paging,
        _of: Option<String>,
    ) -> Page<Self> {
        let mut request = pb::ListCustomersRequest::from(paging);
        P::customer_filters(query, &mut request);
        let request = caller.request(request);
        let mut client = upstream.customers();
        page(async move { client.list_customers(request).await })
    }
}

fn page<R: ListReply + Send + 'static>(
    call: impl Future<Output = Result<tonic::Response<R>, tonic::Status>> + Send + 'static,
) -> Page<R::Item> {
    Box::pin(async move { call.await.map(|reply| reply.into_inner().into_page()) })
}

fn answer<R: Send + 'static, T: 'static>(
    call: impl Future<Output = Result<tonic::Response<R>, tonic::Status>> + Send + 'static,
    object: fn(R) -> Option<T>,
) -> Answer<T> {
    Box::pin(async move { call.await.map(|reply| object(reply.into_inner())) })
}

/// A resource's create and retrieve calls: `$bind` turns a body and the
/// query's expansions into its create request (with the profile `P` in
/// scope), `$get_request` an id and expansions into its get request, and
/// `$field` picks the object out of a reply.
macro_rules! resource {
    ($object:ty, $collection:literal, expands: $expands:literal, $client:ident,
     |$body:ident, $expand:ident| $bind:expr, $create:ident,
     |$id:ident, $get_expand:ident| $get_request:expr, $get:ident, $field:ident) => {
        impl Resource for $object {
            const COLLECTION: &'static str = $collection;
            const EXPANDS: bool = $expands;

            fn create<P: Profile>(
                upstream: &Upstream,
                caller: &Caller,
                $body: Body,
                $expand: Vec<String>,
            ) -> BoxFuture<Result<Option<Self>, ApiError>> {
                let bound = $bind;
                let (caller, mut client) = (caller.clone(), upstream.$client());
                Box::pin(bound.call(async move |request| {
                    let reply = client.$create(caller.request(request)).await?;
                    Ok(reply.into_inner().$field)
                }))
            }

            fn retrieve(
                upstream: &Upstream,
                caller: &Caller,
                $id: String,
                $get_expand: Vec<String>,
            ) -> Answer<Self> {
                let request = caller.request($get_request);
                let mut client = upstream.$client();
                answer(async move { client.$get(request).await }, |r| r.$field)
            }
        }
    };
}

resource!(
    pb::Customer,
    "/customers",
    expands: false,
    customers,
    |body, _expand| customers::create_request(body, P::CREATE_REQUIRES_EMAIL),
    create_customer,
    |id, _expand| pb::GetCustomerRequest { id },
    get_customer,
    customer
);
resource!(
    pb::Payment,
    "/payments",
    expands: true,
    payments,
    |body, expand| payments::create_request(body, expand),
    create_payment,
    |id, expand| pb::GetPaymentRequest { id, expand },
    get_payment,
    payment
);
resource!(
    pb::Subscription,
    "/subscriptions",
    expands: true,
    subscriptions,
    |body, expand| subscriptions::create_request(body, expand),
    create_subscription,
    |id, expand| pb::GetSubscriptionRequest { id, expand },
    get_subscription,
    subscription
);

/// The list of payments or subscriptions: a customer's through
/// `CustomerService` when `of` names one, else the tenant's (filtered by
/// the `customer` parameter) through the object's own service. `$field`s
/// are the list's own filters, bound from `$query` before `expand`.
macro_rules! listed_by_customer {
    ($object:ty, customers.$of_customer:ident($by_customer:ident),
     $client:ident.$list:ident($all:ident),
     |$query:ident| { $($field:ident: $value:expr),* $(,)? }) => {
        impl Listed for $object {
            fn list<P: Profile>(
                upstream: &Upstream,
                caller: &Caller,
                $query: &mut Query,
                paging: &Paging,
                of: Option<String>,
            ) -> Page<Self> {
                match of {
                    Some(id) => {
                        let request = caller.request(pb::$by_customer {
                            id,
                            $($field: $value,)*
                            expand: $query.list("expand"),
                            ..paging.into()
                        });
                        let mut client = upstream.customers();
                        page(async move { client.$of_customer(request).await })
                    }
                    None => {
                        let request = caller.request(pb::$all {
                            customer: $query.string("customer"),
                            $($field: $value,)*
                            expand: $query.list("expand"),
                            ..paging.into()
                        });
                        let mut client = upstream.$client();
                        page(async move { client.$list(request).await })
                    }
                }
            }
        }
    };
}

listed_by_customer!(
    pb::Payment,
    customers.list_customer_payments(ListCustomerPaymentsRequest),
    payments.list_payments(ListPaymentsRequest),
    |query| {}
);
listed_by_customer!(
    pb::Subscription,
    customers.list_customer_subscriptions(ListCustomerSubscriptionsRequest),
    subscriptions.list_subscriptions(ListSubscriptionsRequest),
    |query| {
        status: subscriptions::status_filter(query.choice("status", subscriptions::statuses())),
    }
);
