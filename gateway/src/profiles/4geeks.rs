//! The `4geeks` profile at `/4geeks/v1`: `email` required on create, ISO 8601
//! times, offset pagination `{items, total_items, limit, offset}`, and
//! `{id, object, deleted: true}` on delete.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Listing, Profile, Upstream};
use crate::auth::Caller;
use crate::customers::Deleted;
use crate::error::{ApiError, json_response};
use crate::objects::TimeStyle;
use crate::proto::pb;
use crate::query::{Paging, Query};

pub const BASE: &str = "/4geeks/v1";

pub struct FourGeeks;

#[derive(Serialize)]
struct Page<T> {
    items: Vec<T>,
    total_items: i64,
    limit: i32,
    offset: i32,
}

impl Profile for FourGeeks {
    const BASE: &'static str = BASE;
    const TIMES: TimeStyle = TimeStyle::Iso;
    const CREATE_REQUIRES_EMAIL: bool = true;

    /// `limit` 1–100 (default 10) and `offset` (default 0), with a total.
    fn paging(query: &mut Query) -> Paging {
        query.offset_paging(100, 10)
    }

    fn list<T: Serialize>(listing: Listing<T>) -> Response {
        let page = Page {
            items: listing.items,
            total_items: listing.total.unwrap_or_default(),
            limit: listing.paging.limit,
            offset: listing.paging.offset,
        };
        json_response(StatusCode::OK, &page)
    }

    fn deleted(customer: &pb::Customer) -> Response {
        json_response(StatusCode::OK, &Deleted::customer(customer))
    }
}

/// `GET /4geeks/v1/customers?limit&offset`
async fn list_customers(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    super::list_customers_with::<FourGeeks>(&upstream, &caller, raw.as_deref(), |_, _| {}).await
}

pub fn routes() -> Router<Upstream> {
    super::routes::<FourGeeks>(get(list_customers))
}
