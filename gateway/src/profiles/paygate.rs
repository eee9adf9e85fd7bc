//! The `paygate` profile at `/v1` (PayGate and Shika Creators): ISO 8601
//! times, `{object: "list", url, has_more, data}` lists with cursors, and
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
use crate::query::{Bound, Paging, Query};

pub const BASE: &str = "/v1";

pub struct Paygate;

#[derive(Serialize)]
struct List<T> {
    object: &'static str,
    url: String,
    has_more: bool,
    data: Vec<T>,
}

impl Profile for Paygate {
    const BASE: &'static str = BASE;
    const TIMES: TimeStyle = TimeStyle::Iso;

    /// `limit` 1–100 (default 10), `starting_after`, `ending_before`.
    fn paging(query: &mut Query) -> Paging {
        query.cursor_paging(100, 10)
    }

    fn list<T: Serialize>(listing: Listing<T>) -> Response {
        let list = List {
            object: "list",
            url: listing.url,
            has_more: listing.has_more,
            data: listing.items,
        };
        json_response(StatusCode::OK, &list)
    }

    fn deleted(customer: &pb::Customer) -> Response {
        json_response(StatusCode::OK, &Deleted::customer(customer))
    }
}

/// `GET /v1/customers?limit&starting_after&ending_before&email&created[gte]&created[lte]`
async fn list_customers(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    super::list_customers_with::<Paygate>(&upstream, &caller, raw.as_deref(), |query, request| {
        request.email = query.string("email");
        request.created_gte = query.instant("created[gte]", Bound::Lower);
        request.created_lte = query.instant("created[lte]", Bound::Upper);
    })
    .await
}

pub fn routes() -> Router<Upstream> {
    super::routes::<Paygate>(get(list_customers))
}
