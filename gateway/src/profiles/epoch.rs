//! The `epoch` profile at `/epoch/v1`: times as integer milliseconds since the
//! epoch, `{object: "list", data, has_more}` lists with cursors and `filters`
//! (see [`crate::filters`]), and the deleted customer itself on delete.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Profile, Upstream};
use crate::auth::Caller;
use crate::customers::{CustomerJson, TimeStyle};
use crate::error::{ApiError, from_query, json_response};
use crate::filters;
use crate::proto::pb;
use crate::query::Query;

pub const BASE: &str = "/epoch/v1";

pub struct Epoch;

impl Profile for Epoch {
    const TIMES: TimeStyle = TimeStyle::Millis;

    fn deleted(customer: &pb::Customer) -> Response {
        Self::customer(customer)
    }
}

#[derive(Serialize)]
struct List<'a> {
    object: &'static str,
    data: Vec<CustomerJson<'a>>,
    has_more: bool,
}

impl Epoch {
    fn customer_list(reply: &pb::ListCustomersResponse) -> Response {
        let list = List {
            object: "list",
            data: reply
                .customers
                .iter()
                .map(|c| CustomerJson::new(c, Self::TIMES))
                .collect(),
            has_more: reply.has_more,
        };
        json_response(StatusCode::OK, &list)
    }
}

/// `GET /epoch/v1/customers?limit&starting_after&ending_before&filters`
async fn list_customers(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let mut request = pb::ListCustomersRequest {
        limit: query.integer("limit", 1, 1000, 50),
        starting_after: query.string("starting_after").unwrap_or_default(),
        ending_before: query.string("ending_before").unwrap_or_default(),
        ..Default::default()
    };
    let text = query
        .string(filters::PARAMETER)
        .filter(|t| !t.trim().is_empty());
    if let Some(text) = text {
        match filters::parse(&text) {
            Ok(filter) => request.filter = Some(filter),
            Err(problems) => problems.into_iter().for_each(|p| query.add(p)),
        }
    }
    query.finish()?;
    let reply = upstream
        .customers()
        .list_customers(caller.request(request))
        .await
        .map_err(from_query)?;
    Ok(Epoch::customer_list(&reply.into_inner()))
}

pub fn routes() -> Router<Upstream> {
    super::customer_routes::<Epoch>(get(list_customers))
}
