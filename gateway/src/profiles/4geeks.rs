//! The `4geeks` profile at `/4geeks/v1`: `email` required on create, ISO 8601
//! times, offset pagination `{items, total_items, limit, offset}`, and
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
use crate::query::Query;

pub const BASE: &str = "/4geeks/v1";

pub struct FourGeeks;

impl Profile for FourGeeks {
    const TIMES: TimeStyle = TimeStyle::Iso;
    const CREATE_REQUIRES_EMAIL: bool = true;

    fn deleted(customer: &pb::Customer) -> Response {
        json_response(StatusCode::OK, &Deleted::customer(customer))
    }
}

#[derive(Serialize)]
struct Page<'a> {
    items: Vec<CustomerJson<'a>>,
    total_items: i64,
    limit: i32,
    offset: i32,
}

impl FourGeeks {
    fn customer_page(reply: &pb::ListCustomersResponse, limit: i32, offset: i32) -> Response {
        let page = Page {
            items: reply
                .customers
                .iter()
                .map(|c| CustomerJson::new(c, Self::TIMES))
                .collect(),
            total_items: reply.total_count.unwrap_or_default(),
            limit,
            offset,
        };
        json_response(StatusCode::OK, &page)
    }
}

/// `GET /4geeks/v1/customers?limit&offset`
async fn list_customers(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let limit = query.integer("limit", 1, 100, 10);
    let offset = query.integer("offset", 0, i32::MAX, 0);
    query.finish()?;
    let request = pb::ListCustomersRequest {
        limit,
        offset,
        include_total_count: true,
        ..Default::default()
    };
    let reply = upstream
        .customers()
        .list_customers(caller.request(request))
        .await
        .map_err(from_query)?;
    Ok(FourGeeks::customer_page(&reply.into_inner(), limit, offset))
}

pub fn routes() -> Router<Upstream> {
    super::customer_routes::<FourGeeks>(get(list_customers))
}
