//! The `epoch` profile at `/epoch/v1`: times as integer milliseconds since the
//! epoch, `{object: "list", data, has_more}` lists with cursors, `filters` on
//! the customer list (see [`crate::filters`]), and the deleted customer itself
//! on delete.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Listing, Profile, Upstream};
use crate::auth::Caller;
use crate::error::{ApiError, json_response};
use crate::filters;
use crate::objects::TimeStyle;
use crate::proto::pb;
use crate::query::{Paging, Query};

pub const BASE: &str = "/epoch/v1";

pub struct Epoch;

#[derive(Serialize)]
struct List<T> {
    object: &'static str,
    data: Vec<T>,
    has_more: bool,
}

impl Profile for Epoch {
    const BASE: &'static str = BASE;
    const TIMES: TimeStyle = TimeStyle::Millis;

    /// `limit` 1–1000 (default 50), `starting_after`, `ending_before`.
    fn paging(query: &mut Query) -> Paging {
        query.cursor_paging(1000, 50)
    }

    fn list<T: Serialize>(listing: Listing<T>) -> Response {
        let list = List {
            object: "list",
            data: listing.items,
            has_more: listing.has_more,
        };
        json_response(StatusCode::OK, &list)
    }

    fn deleted(customer: &pb::Customer) -> Response {
        Self::object(customer)
    }
}

/// `GET /epoch/v1/customers?limit&starting_after&ending_before&filters`
async fn list_customers(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    super::list_customers_with::<Epoch>(&upstream, &caller, raw.as_deref(), |query, request| {
        let text = query
            .string(filters::PARAMETER)
            .filter(|t| !t.trim().is_empty());
        if let Some(text) = text {
            match filters::parse(&text) {
                Ok(filter) => request.filter = Some(filter),
                Err(problems) => problems.into_iter().for_each(|p| query.add(p)),
            }
        }
    })
    .await
}

pub fn routes() -> Router<Upstream> {
    super::routes::<Epoch>(get(list_customers))
}
