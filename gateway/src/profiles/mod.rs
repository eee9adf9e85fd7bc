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
use axum::routing::{MethodFilter, MethodRouter};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use tonic::transport::Channel;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, ServiceExt};

use crate::auth::Caller;
use crate::body::Body;
use crate::customers::{self, CustomerJson, Deleted};
use crate::error::{ApiError, from_body, from_query, json_response};
use crate::objects::TimeStyle;
use crate::operations::{Handler, OPERATIONS};
use crate::payments::PaymentJson;
use crate::proto::pb;
use crate::proto::pb::customer_service_client::CustomerServiceClient;
use crate::proto::pb::event_service_client::EventServiceClient;
use crate::proto::pb::payment_service_client::PaymentServiceClient;
use crate::proto::pb::subscription_service_client::SubscriptionServiceClient;
use crate::proto::pb::webhook_endpoint_service_client::WebhookEndpointServiceClient;
use crate::query::{Paging, Query};
use crate::resources::{Listed, Resource};
use crate::subscriptions::SubscriptionJson;
use crate::validation::{Loc, Problem, Rule};
use customerd_wire::limits::{SEARCH_PAGE_DEFAULT, SEARCH_PAGE_MAX};

pub mod epoch;
mod events;
pub use events::EventJson;
#[path = "4geeks.rs"]
pub mod four_geeks;
pub mod paygate;
mod webhooks;

/// A gRPC server as the gateway calls it: over a connection, or in the same process.
pub type GrpcService = BoxCloneSyncService<
    http::Request<tonic::body::Body>,
    http::Response<tonic::body::Body>,
    UpstreamError,
>;

/// Why the gRPC server could not be called at all (a call that reaches it
/// answers with a status instead).
#[derive(Debug)]
pub struct UpstreamError(BoxError);

impl UpstreamError {
    pub fn new(err: impl Into<BoxError>) -> Self {
        Self(err.into())
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for UpstreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// The gRPC service behind every route.
#[derive(Clone)]
pub struct Upstream {
    service: GrpcService,
}

impl Upstream {
    /// Calls `service` directly: the gRPC server's own stack, in this process.
    pub fn new(service: GrpcService) -> Self {
        Self { service }
    }

    /// Calls a gRPC server over `channel`.
    pub fn connected(channel: Channel) -> Self {
        Self::new(GrpcService::new(channel.map_err(UpstreamError::new)))
    }

    pub fn customers(&self) -> CustomerServiceClient<GrpcService> {
        CustomerServiceClient::new(self.service.clone())
    }

    pub fn payments(&self) -> PaymentServiceClient<GrpcService> {
        PaymentServiceClient::new(self.service.clone())
    }

    pub fn subscriptions(&self) -> SubscriptionServiceClient<GrpcService> {
        SubscriptionServiceClient::new(self.service.clone())
    }

    pub fn events(&self) -> EventServiceClient<GrpcService> {
        EventServiceClient::new(self.service.clone())
    }

    pub fn webhooks(&self) -> WebhookEndpointServiceClient<GrpcService> {
        WebhookEndpointServiceClient::new(self.service.clone())
    }
}

/// An object the service returns, and its REST form.
pub trait Object {
    type Json<'a>: Serialize + JsonSchema
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

impl Object for pb::Event {
    type Json<'a> = events::EventJson<'a>;

    fn json(&self, style: TimeStyle) -> events::EventJson<'_> {
        events::EventJson::new(self, style)
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
            // A request with nothing but paging has nothing left to default.
            #[allow(clippy::needless_update)]
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
    pb::ListEventsRequest => pb::ListEventsResponse { events: pb::Event },
    pb::ListWebhookEndpointsRequest => pb::ListWebhookEndpointsResponse { webhook_endpoints: pb::WebhookEndpoint },
    pb::ListWebhookDeliveriesRequest => pb::ListWebhookDeliveriesResponse { deliveries: pb::WebhookDelivery },
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

/// How a profile's lists page: `limit` (1 to `max`, else `default`) and
/// either cursors or an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingStyle {
    Cursor { max: i32, default: i32 },
    Offset { max: i32, default: i32 },
}

/// How a profile reads paging and writes what the service returns.
pub trait Profile: Send + Sync + 'static {
    /// Where the profile is mounted, e.g. `/v1`.
    const BASE: &'static str;
    /// Its name in the OpenAPI document.
    const TAG: &'static str;
    /// Who it is for and how it differs, in a sentence.
    const SUMMARY: &'static str;
    /// How `created_at`, `updated_at` and `canceled_at` are written.
    const TIMES: TimeStyle;
    /// Whether `POST /customers` requires `email`.
    const CREATE_REQUIRES_EMAIL: bool = false;
    /// Whether a delete answers with the object as it was, rather than
    /// `{id, object, deleted: true}` (see [`Profile::deleted`]).
    const DELETE_ANSWERS_OBJECT: bool = false;

    /// How every list of the profile pages.
    const PAGING: PagingStyle;

    /// The paging parameters of a list request.
    fn paging(query: &mut Query) -> Paging {
        match Self::PAGING {
            PagingStyle::Cursor { max, default } => query.cursor_paging(max, default),
            PagingStyle::Offset { max, default } => query.offset_paging(max, default),
        }
    }

    /// The profile's list envelope around `listing`.
    fn list<T: Serialize>(listing: Listing<T>) -> Response;

    /// The schema of [`Profile::list`]'s envelope around `T`s.
    fn list_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema;

    /// One object: a customer, payment or subscription.
    fn object<T: Object>(object: &T) -> Response {
        json_response(StatusCode::OK, &object.json(Self::TIMES))
    }

    /// The reply to `DELETE /customers/{id}`, given the customer as it was:
    /// `{id, object, deleted: true}` unless the profile says otherwise.
    fn deleted(customer: &pb::Customer) -> Response {
        json_response(StatusCode::OK, &Deleted::customer(customer))
    }

    /// Binds the customer list's own filters, after the paging.
    fn customer_filters(_query: &mut Query, _request: &mut pb::ListCustomersRequest) {}
}

/// One page (objects, more beyond, total) written by profile `P` as the list at `url`.
fn listing<P: Profile, T: Object>(
    url: String,
    paging: Paging,
    (items, has_more, total): (Vec<T>, bool, Option<i64>),
) -> Response {
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

/// The object a call answers with, written by `P`. Violations point at the body and path.
async fn written<P: Profile, T: Object>(
    answer: impl Future<Output = Result<Option<T>, tonic::Status>>,
) -> Result<Response, ApiError> {
    Ok(P::object(&object(answer.await.map_err(from_body)?)?))
}

/// `POST` on a collection.
async fn create<P: Profile, R: Resource>(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    let expand = expansions::<R>(raw)?;
    let created = R::create::<P>(&upstream, &caller, body, expand).await?;
    Ok(P::object(&object(created)?))
}

/// The query of a create or retrieve: `expand` where the resource takes it,
/// nothing else.
fn expansions<R: Resource>(raw: Option<String>) -> Result<Vec<String>, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let expand = if R::EXPANDS {
        query.list("expand")
    } else {
        Vec::new()
    };
    query.finish()?;
    Ok(expand)
}

/// `GET` on one object.
async fn retrieve<P: Profile, R: Resource>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let expand = expansions::<R>(raw)?;
    let answer = R::retrieve(&upstream, &caller, id, expand);
    Ok(P::object(&object(answer.await.map_err(from_query)?)?))
}

/// `GET` on a collection, or on a customer's (then 404 for a customer the
/// key cannot see).
async fn list<P: Profile, R: Listed>(
    upstream: Upstream,
    caller: Caller,
    of: Option<String>,
    raw: Option<String>,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let paging = P::paging(&mut query);
    let url = match &of {
        Some(id) => format!("{}/customers/{id}{}", P::BASE, R::COLLECTION),
        None => format!("{}{}", P::BASE, R::COLLECTION),
    };
    let call = R::list::<P>(&upstream, &caller, &mut query, &paging, of);
    query.finish()?;
    let page = call.await.map_err(from_query)?;
    Ok(listing::<P, _>(url, paging, page))
}

async fn list_all<P: Profile, R: Listed>(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    list::<P, R>(upstream, caller, None, raw).await
}

async fn list_of_customer<P: Profile, R: Listed>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    list::<P, R>(upstream, caller, Some(id), raw).await
}

async fn update_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    body: Body,
) -> Result<Response, ApiError> {
    let mut client = upstream.customers();
    let updated = customers::update_request(id, body)
        .call(async |request| {
            let reply = client.update_customer(caller.request(request)).await?;
            Ok(reply.into_inner().customer)
        })
        .await?;
    Ok(P::object(&object(updated)?))
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

/// `POST /subscriptions/{id}/cancel`, and `DELETE /subscriptions/{id}` as
/// the Stripe SDKs send it: the body, if any, must be an empty object. Cancelling twice is the service's FAILED_PRECONDITION, a 409.
async fn cancel_subscription<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    body: Body,
) -> Result<Response, ApiError> {
    body.fields().finish()?;
    let request = caller.request(pb::CancelSubscriptionRequest { id });
    let answer = async { upstream.subscriptions().cancel_subscription(request).await };
    written::<P, _>(async { answer.await.map(|r| r.into_inner().subscription) }).await
}

/// What a search answers, in every profile: Stripe's `search_result`.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CustomerSearchResult", deny_unknown_fields)]
pub struct SearchResult<'a> {
    #[schemars(extend("enum" = ["search_result"]))]
    object: &'static str,
    url: String,
    has_more: bool,
    /// The `page` of the next page; null on the last.
    next_page: Option<&'a str>,
    data: Vec<CustomerJson<'a>>,
}

/// `GET /customers/search?query=…&limit=…&page=…`: the service parses the
/// query, so its errors (with their position) come back on `query`.
async fn search_customers<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let text = query.string("query");
    if text.is_none() {
        query.problem(Loc::query("query"), Rule::Missing);
    }
    let limit = query.integer("limit", 1, SEARCH_PAGE_MAX, SEARCH_PAGE_DEFAULT);
    let page = query.string("page").unwrap_or_default();
    query.finish()?;
    let request = caller.request(pb::SearchCustomersRequest {
        query: text.unwrap_or_default(),
        limit,
        page,
    });
    let reply = upstream
        .customers()
        .search_customers(request)
        .await
        .map_err(from_query)?
        .into_inner();
    let result = SearchResult {
        object: "search_result",
        url: format!("{}/customers/search", P::BASE),
        has_more: reply.has_more,
        next_page: Some(reply.next_page.as_str()).filter(|p| !p.is_empty()),
        data: reply.customers.iter().map(|c| c.json(P::TIMES)).collect(),
    };
    Ok(json_response(StatusCode::OK, &result))
}

/// Every operation of [`OPERATIONS`], as profile `P` serves it under its
/// base path.
pub fn routes<P: Profile>() -> Router<Upstream> {
    let mut paths: Vec<(&str, MethodRouter<Upstream>)> = Vec::new();
    for op in OPERATIONS {
        let endpoint = on::<P>(op.verb.filter(), op.serve);
        match paths.iter_mut().find(|(path, _)| *path == op.path) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(endpoint),
            None => paths.push((op.path, endpoint)),
        }
    }
    // Full paths rather than a nested router: nothing to strip per request.
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(&format!("{}{path}", P::BASE), methods)
        })
}

/// The handler of profile `P` that serves `handler`, for the requests `filter` lets in.
fn on<P: Profile>(filter: MethodFilter, handler: Handler) -> MethodRouter<Upstream> {
    use axum::routing::on as serve;
    type Customer = pb::Customer;
    type Payment = pb::Payment;
    type Subscription = pb::Subscription;
    type WebhookEndpoint = pb::WebhookEndpoint;
    match handler {
        Handler::CreateCustomer => serve(filter, create::<P, Customer>),
        Handler::ListCustomers => serve(filter, list_all::<P, Customer>),
        Handler::SearchCustomers => serve(filter, search_customers::<P>),
        Handler::RetrieveCustomer => serve(filter, retrieve::<P, Customer>),
        Handler::UpdateCustomer => serve(filter, update_customer::<P>),
        Handler::DeleteCustomer => serve(filter, delete_customer::<P>),
        Handler::CustomerPayments => serve(filter, list_of_customer::<P, Payment>),
        Handler::CustomerSubscriptions => serve(filter, list_of_customer::<P, Subscription>),
        Handler::CreatePayment => serve(filter, create::<P, Payment>),
        Handler::ListPayments => serve(filter, list_all::<P, Payment>),
        Handler::RetrievePayment => serve(filter, retrieve::<P, Payment>),
        Handler::CreateSubscription => serve(filter, create::<P, Subscription>),
        Handler::ListSubscriptions => serve(filter, list_all::<P, Subscription>),
        Handler::RetrieveSubscription => serve(filter, retrieve::<P, Subscription>),
        Handler::CancelSubscription => serve(filter, cancel_subscription::<P>),
        Handler::ListEvents => serve(filter, events::list::<P>),
        Handler::RetrieveEvent => serve(filter, events::retrieve::<P>),
        Handler::StreamEvents => serve(filter, events::stream::<P>),
        Handler::CreateWebhookEndpoint => serve(filter, create::<P, WebhookEndpoint>),
        Handler::ListWebhookEndpoints => serve(filter, list_all::<P, WebhookEndpoint>),
        Handler::RetrieveWebhookEndpoint => serve(filter, retrieve::<P, WebhookEndpoint>),
        Handler::UpdateWebhookEndpoint => serve(filter, webhooks::update::<P>),
        Handler::DeleteWebhookEndpoint => serve(filter, webhooks::delete::<P>),
        Handler::ListWebhookDeliveries => serve(filter, webhooks::deliveries::<P>),
    }
}
