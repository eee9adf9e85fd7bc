//! The `paygate` profile at `/v1` (PayGate and Shika Creators): ISO 8601
//! times, `{object: "list", url, has_more, data}` lists with cursors, and
//! `{id, object, deleted: true}` on delete.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Profile, Upstream};
use crate::auth::Caller;
use crate::customers::{CustomerJson, Deleted, TimeStyle};
use crate::error::{ApiError, from_query, json_response};
use crate::proto::pb;
use crate::query::{Bound, Query};

pub const BASE: &str = "/v1";

pub struct Paygate;

impl Profile for Paygate {
    const TIMES: TimeStyle = TimeStyle::Iso;

    fn deleted(customer: &pb::Customer) -> Response {
        json_response(StatusCode::OK, &Deleted::customer(customer))
    }
}

#[derive(Serialize)]
struct List<'a> {
    object: &'static str,
    url: &'static str,
    has_more: bool,
    data: Vec<CustomerJson<'a>>,
}

impl Paygate {
    fn customer_list(reply: &pb::ListCustomersResponse) -> Response {
        let list = List {
            object: "list",
            url: "/v1/customers",
            has_more: reply.has_more,
            data: reply
                .customers
                .iter()
                .map(|c| CustomerJson::new(c, Self::TIMES))
                .collect(),
        };
        json_response(StatusCode::OK, &list)
    }
}

/// `GET /v1/customers?limit&starting_after&ending_before&email&created[gte]&created[lte]`
async fn list_customers(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let request = pb::ListCustomersRequest {
        limit: query.integer("limit", 1, 100, 10),
        starting_after: query.string("starting_after").unwrap_or_default(),
        ending_before: query.string("ending_before").unwrap_or_default(),
        email: query.string("email"),
        created_gte: query.instant("created[gte]", Bound::Lower),
        created_lte: query.instant("created[lte]", Bound::Upper),
        ..Default::default()
    };
    query.finish()?;
    let reply = upstream
        .customers()
        .list_customers(caller.request(request))
        .await
        .map_err(from_query)?;
    Ok(Paygate::customer_list(&reply.into_inner()))
}

pub fn routes() -> Router<Upstream> {
    super::customer_routes::<Paygate>(get(list_customers))
}
