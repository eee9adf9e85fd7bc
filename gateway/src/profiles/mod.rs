//! The REST dialects, one module per seed vendor, all over the same gRPC calls.
//!
//! Each route binds path, query and body into a `customers.v1` request, calls
//! the service, and hands the reply to its profile's writer (the [`Profile`]
//! trait). Routes every profile shares are generic over the profile.

use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use tonic::transport::Channel;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::customers::{self, CustomerJson, TimeStyle};
use crate::error::{self, ApiError, from_body, json_response};
use crate::proto::pb;
use crate::proto::pb::customer_service_client::CustomerServiceClient;
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
}

/// How a profile writes what the service returns.
pub trait Profile: Send + Sync + 'static {
    /// How `created_at` and `updated_at` are written.
    const TIMES: TimeStyle;
    /// Whether `POST /customers` requires `email`.
    const CREATE_REQUIRES_EMAIL: bool = false;

    /// One customer.
    fn customer(customer: &pb::Customer) -> Response {
        json_response(StatusCode::OK, &CustomerJson::new(customer, Self::TIMES))
    }

    /// The reply to `DELETE /customers/{id}`, given the customer as it was.
    fn deleted(customer: &pb::Customer) -> Response;
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

async fn create_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let request = customers::create_request(body, P::CREATE_REQUIRES_EMAIL)?;
    let reply = upstream
        .customers()
        .create_customer(caller.request(request))
        .await
        .map_err(from_body)?;
    Ok(P::customer(&object(reply.into_inner().customer)?))
}

async fn retrieve_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let reply = upstream
        .customers()
        .get_customer(caller.request(pb::GetCustomerRequest { id }))
        .await
        .map_err(from_body)?;
    Ok(P::customer(&object(reply.into_inner().customer)?))
}

async fn update_customer<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let request = customers::update_request(id, body)?;
    let reply = upstream
        .customers()
        .update_customer(caller.request(request))
        .await
        .map_err(from_body)?;
    Ok(P::customer(&object(reply.into_inner().customer)?))
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

/// The customer routes of profile `P`, with its own list route.
fn customer_routes<P: Profile>(list: MethodRouter<Upstream>) -> Router<Upstream> {
    Router::new()
        .route("/customers", list.post(create_customer::<P>))
        .route(
            "/customers/{id}",
            get(retrieve_customer::<P>)
                .patch(update_customer::<P>)
                .post(update_customer::<P>)
                .delete(delete_customer::<P>),
        )
        .method_not_allowed_fallback(error::method_not_allowed)
}
