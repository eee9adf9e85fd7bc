//! The REST dialects, one module per seed vendor, all over the same gRPC calls.
//!
//! Each route binds path, query and body into a `customers.v1` request, calls
//! the service, and hands the reply to its profile's writer (the [`Profile`]
//! trait). Routes every profile shares are generic over the profile; only the
//! customer list, whose filters differ, is each profile's own.

use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use serde::Serialize;
use tonic::transport::Channel;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::customers::{self, CustomerJson};
use crate::error::{self, ApiError, from_body, from_query, json_response};
use crate::objects::TimeStyle;
use crate::payments::{self, PaymentJson};
use crate::proto::pb;
use crate::proto::pb::customer_service_client::CustomerServiceClient;
use crate::proto::pb::payment_service_client::PaymentServiceClient;
use crate::proto::pb::subscription_service_client::SubscriptionServiceClient;
use crate::query::{Paging, Query};
use crate::subscriptions::{self, SubscriptionJson};
use crate::validation::{Loc, Problem, Rule};

pub mod epoch;
#[path = "4geeks.rs"]
pub mod four_geeks;
pub mod paygate;

/// The gRPC service behind every route.
#[derive(Clone)]
pub struct Upstream {
    channel: Channel,
}

impl Upstream {
    pub fn new(channel: Channel) -> Self {
        Self { channel }
    }

    pub fn customers(&self) -> CustomerServiceClient<Channel> {
        CustomerServiceClient::new(self.channel.clone())
    }

    pub fn payments(&self) -> PaymentServiceClient<Channel> {
        PaymentServiceClient::new(self.channel.clone())
    }

    pub fn subscriptions(&self) -> SubscriptionServiceClient<Channel> {
        SubscriptionServiceClient::new(self.channel.clone())
    }
}

/// An object the service returns, and its REST form.
pub trait Object {
    type Json<'a>: Serialize
    where
        Self: 'a;

    fn json(&self, style: TimeStyle) -> Self::Json<'_>;
}

impl Object for pb::Customer {
    type Json<'a> = CustomerJson<'a>;

    fn json(&self, style: TimeStyle) -> CustomerJson<'_> {
        CustomerJson::new(self, style)
    }
}

impl Object for pb::Payment {
    type Json<'a> = PaymentJson<'a>;

    fn json(&self, style: TimeStyle) -> PaymentJson<'_> {
        PaymentJson::new(self, style)
    }
}

impl Object for pb::Subscription {
    type Json<'a> = SubscriptionJson<'a>;

    fn json(&self, style: TimeStyle) -> SubscriptionJson<'_> {
        SubscriptionJson::new(self, style)
    }
}

/// A list reply of the service: one page of objects.
pub trait ListReply {
    type Item: Object;

    /// The objects, whether more lie beyond, and the total when asked for.
    fn into_page(self) -> (Vec<Self::Item>, bool, Option<i64>);
}

/// Every list request has the same paging fields, and every reply the same page fields.
macro_rules! lists {
    ($($request:ty => $reply:ty { $items:ident: $item:ty }),* $(,)?) => {$(
        impl From<&Paging> for $request {
            fn from(p: &Paging) -> Self {
                Self {
                    limit: p.limit,
                    starting_after: p.starting_after.clone(),
                    ending_before: p.ending_before.clone(),
                    offset: p.offset,
                    include_total_count: p.include_total_count,
                    ..Self::default()
                }
            }
        }

        impl ListReply for $reply {
            type Item = $item;

            fn into_page(self) -> (Vec<$item>, bool, Option<i64>) {
                (self.$items, self.has_more, self.total_count)
            }
        }
    )*};
}

lists! {
    pb::ListCustomersRequest => pb::ListCustomersResponse { customers: pb::Customer },
    pb::ListPaymentsRequest => pb::ListPaymentsResponse { payments: pb::Payment },
    pb::ListCustomerPaymentsRequest => pb::ListCustomerPaymentsResponse { payments: pb::Payment },
    pb::ListSubscriptionsRequest => pb::ListSubscriptionsResponse { subscriptions: pb::Subscription },
    pb::ListCustomerSubscriptionsRequest => pb::ListCustomerSubscriptionsResponse { subscriptions: pb::Subscription },
}

/// One page of any resource, ready for a profile's list envelope.
pub struct Listing<T> {
    /// The request path without its query, e.g. `/v1/customers/cus_1/payments`.
    pub url: String,
    pub items: Vec<T>,
    pub has_more: bool,
    /// Set when the paging asked for it.
    pub total: Option<i64>,
    /// The paging asked for (the 4geeks envelope echoes `limit` and `offset`).
    pub paging: Paging,
}

/// How a profile reads paging and writes what the service returns.
pub trait Profile: Send + Sync + 'static {
    /// Where the profile is mounted, e.g. `/v1`.
    const BASE: &'static str;
    /// How `created_at`, `updated_at` and `canceled_at` are written.
    const TIMES: TimeStyle;
    /// Whether `POST /customers` requires `email`.
    const CREATE_REQUIRES_EMAIL: bool = false;

    /// The paging parameters every list of the profile takes.
    fn paging(query: &mut Query) -> Paging;

    /// The profile's list envelope around `listing`.
    fn list<T: Serialize>(listing: Listing<T>) -> Response;

    /// One object: a customer, payment or subscription.
    fn object<T: Object>(object: &T) -> Response {
        json_response(StatusCode::OK, &object.json(Self::TIMES))
    }

    /// The reply to `DELETE /customers/{id}`, given the customer as it was.
    fn deleted(customer: &pb::Customer) -> Response;
}

/// A list reply written by profile `P` as the page found at `url`.
fn page<P: Profile, R: ListReply>(url: String, paging: Paging, reply: R) -> Response {
    let (items, has_more, total) = reply.into_page();
    P::list(Listing {
        url,
        items: items.iter().map(|o| o.json(P::TIMES)).collect(),
        has_more,
        total,
        paging,
    })
}

/// The `{id}` path segment.
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Self(id))
            .map_err(|_| ApiError::Invalid(vec![Problem::new(Loc::path("id"), Rule::NotString)]))
    }
}

/// The object in a reply, which the service always sets.
fn object<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or(ApiError::EmptyReply)
}

/// What a call of the service gives.
type Call<R> = Result<tonic::Response<R>, tonic::Status>;

/// The object `call` answers with (`object_of` picks it from the reply),
/// written by `P`. Violations point at the body and path.
async fn reply_object<P: Profile, R, T: Object>(
    call: impl Future<Output = Call<R>>,
    object_of: impl FnOnce(R) -> Option<T>,
) -> Result<Response, ApiError> {
    let reply = call.await.map_err(from_body)?;
    Ok(P::object(&object(object_of(reply.into_inner()))?))
}

/// The page `call` answers with, written by `P` as the list at `url`.
/// Violations point at the query (and path).
async fn reply_page<P: Profile, R: ListReply>(
    url: String,
    paging: Paging,
    call: impl Future<Output = Call<R>>,
) -> Result<Response, ApiError> {
    let reply = call.await.map_err(from_query)?;
    Ok(page::<P, _>(url, paging, reply.into_inner()))
}

async fn create_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let request = customers::create_request(body, P::CREATE_REQUIRES_EMAIL)?;
    reply_object::<P, _, _>(
        upstream
            .customers()
            .create_customer(caller.request(request)),
        |r| r.customer,
    )
    .await
}

async fn retrieve_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ApiError> {
    reply_object::<P, _, _>(
        upstream
            .customers()
            .get_customer(caller.request(pb::GetCustomerRequest { id })),
        |r| r.customer,
    )
    .await
}

async fn update_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let request = customers::update_request(id, body)?;
    reply_object::<P, _, _>(
        upstream
            .customers()
            .update_customer(caller.request(request)),
        |r| r.customer,
    )
    .await
}

async fn delete_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let reply = upstream
        .customers()
        .delete_customer(caller.request(pb::DeleteCustomerRequest { id }))
        .await
        .map_err(from_body)?;
    Ok(P::deleted(&object(reply.into_inner().customer)?))
}

/// `GET /customers/{id}/payments`: 404 for a customer the key cannot see.
async fn list_customer_payments<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let paging = P::paging(&mut query);
    query.finish()?;
    let url = format!("{}/customers/{id}/payments", P::BASE);
    let request = pb::ListCustomerPaymentsRequest {
        id,
        ..(&paging).into()
    };
    reply_page::<P, _>(
        url,
        paging,
        upstream
            .customers()
            .list_customer_payments(caller.request(request)),
    )
    .await
}

/// `GET /customers/{id}/subscriptions?status`: 404 for a customer the key cannot see.
async fn list_customer_subscriptions<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let paging = P::paging(&mut query);
    let status = query.choice("status", subscriptions::STATUSES);
    query.finish()?;
    let url = format!("{}/customers/{id}/subscriptions", P::BASE);
    let request = pb::ListCustomerSubscriptionsRequest {
        id,
        status: subscriptions::status_filter(status),
        ..(&paging).into()
    };
    reply_page::<P, _>(
        url,
        paging,
        upstream
            .customers()
            .list_customer_subscriptions(caller.request(request)),
    )
    .await
}

async fn create_payment<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let request = payments::create_request(body)?;
    reply_object::<P, _, _>(
        upstream.payments().create_payment(caller.request(request)),
        |r| r.payment,
    )
    .await
}

async fn retrieve_payment<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ApiError> {
    reply_object::<P, _, _>(
        upstream
            .payments()
            .get_payment(caller.request(pb::GetPaymentRequest { id })),
        |r| r.payment,
    )
    .await
}

/// `GET /payments?customer`
async fn list_payments<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let paging = P::paging(&mut query);
    let request = pb::ListPaymentsRequest {
        customer: query.string("customer"),
        ..(&paging).into()
    };
    query.finish()?;
    let url = format!("{}/payments", P::BASE);
    reply_page::<P, _>(
        url,
        paging,
        upstream.payments().list_payments(caller.request(request)),
    )
    .await
}

async fn create_subscription<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let request = subscriptions::create_request(body)?;
    reply_object::<P, _, _>(
        upstream
            .subscriptions()
            .create_subscription(caller.request(request)),
        |r| r.subscription,
    )
    .await
}

async fn retrieve_subscription<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ApiError> {
    reply_object::<P, _, _>(
        upstream
            .subscriptions()
            .get_subscription(caller.request(pb::GetSubscriptionRequest { id })),
        |r| r.subscription,
    )
    .await
}

/// `POST /subscriptions/{id}/cancel`: the body, if any, must be an empty
/// object. Cancelling twice is the service's FAILED_PRECONDITION, a 409.
async fn cancel_subscription<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    body: JsonBody,
) -> Result<Response, ApiError> {
    body.fields().finish()?;
    reply_object::<P, _, _>(
        upstream
            .subscriptions()
            .cancel_subscription(caller.request(pb::CancelSubscriptionRequest { id })),
        |r| r.subscription,
    )
    .await
}

/// `GET /subscriptions?customer&status`
async fn list_subscriptions<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let paging = P::paging(&mut query);
    let request = pb::ListSubscriptionsRequest {
        customer: query.string("customer"),
        status: subscriptions::status_filter(query.choice("status", subscriptions::STATUSES)),
        ..(&paging).into()
    };
    query.finish()?;
    let url = format!("{}/subscriptions", P::BASE);
    reply_page::<P, _>(
        url,
        paging,
        upstream
            .subscriptions()
            .list_subscriptions(caller.request(request)),
    )
    .await
}

/// Every route of profile `P`, with its own customer list route.
fn routes<P: Profile>(list_customers: MethodRouter<Upstream>) -> Router<Upstream> {
    Router::new()
        .route("/customers", list_customers.post(create_customer::<P>))
        .route(
            "/customers/{id}",
            get(retrieve_customer::<P>)
                .patch(update_customer::<P>)
                .post(update_customer::<P>)
                .delete(delete_customer::<P>),
        )
        .route("/customers/{id}/payments", get(list_customer_payments::<P>))
        .route(
            "/customers/{id}/subscriptions",
            get(list_customer_subscriptions::<P>),
        )
        .route(
            "/payments",
            get(list_payments::<P>).post(create_payment::<P>),
        )
        .route("/payments/{id}", get(retrieve_payment::<P>))
        .route(
            "/subscriptions",
            get(list_subscriptions::<P>).post(create_subscription::<P>),
        )
        .route("/subscriptions/{id}", get(retrieve_subscription::<P>))
        .route("/subscriptions/{id}/cancel", post(cancel_subscription::<P>))
        .method_not_allowed_fallback(error::method_not_allowed)
}

/// The customer list of profile `P`: its paging plus the filters `filters` binds.
async fn list_customers_with<P: Profile>(
    upstream: &Upstream,
    caller: &Caller,
    raw: Option<&str>,
    filters: impl FnOnce(&mut Query, &mut pb::ListCustomersRequest),
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw);
    let paging = P::paging(&mut query);
    let mut request = pb::ListCustomersRequest::from(&paging);
    filters(&mut query, &mut request);
    query.finish()?;
    let url = format!("{}/customers", P::BASE);
    reply_page::<P, _>(
        url,
        paging,
        upstream.customers().list_customers(caller.request(request)),
    )
    .await
}
