//! The `paygate` profile at `/v1` (PayGate and Shika Creators): ISO 8601
//! times, `{object: "list", url, has_more, data}` lists with cursors, and
//! `{id, object, deleted: true}` on delete.

use axum::http::StatusCode;
use axum::response::Response;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

use super::{Listing, PagingStyle, Profile};
use crate::error::json_response;
use crate::objects::TimeStyle;
use crate::proto::pb;
use crate::query::Bound;
use crate::query::Query;

pub const BASE: &str = "/v1";

pub struct Paygate;

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Paygate{T}List")]
struct List<T> {
    #[schemars(extend("enum" = ["list"]))]
    object: &'static str,
    /// The request path, without its query.
    url: String,
    has_more: bool,
    data: Vec<T>,
}

impl Profile for Paygate {
    const BASE: &'static str = BASE;
    const TAG: &'static str = "paygate";
    const SUMMARY: &'static str =
        "PayGate / Shika Creators dialect: ISO 8601 times, cursor lists with a url.";
    const TIMES: TimeStyle = TimeStyle::Iso;

    const PAGING: PagingStyle = PagingStyle::Cursor {
        max: 100,
        default: 10,
    };

    fn list_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<List<T>>()
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

    /// `email`, `created[gte]`, `created[lte]`.
    fn customer_filters(query: &mut Query, request: &mut pb::ListCustomersRequest) {
        request.email = query.string("email");
        request.created_gte = query.instant("created[gte]", Bound::Lower);
        request.created_lte = query.instant("created[lte]", Bound::Upper);
    }
}
