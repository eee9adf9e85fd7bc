//! The `epoch` profile at `/epoch/v1`: times as integer milliseconds since the
//! epoch, `{object: "list", data, has_more}` lists with cursors, `filters` on
//! the customer list (see [`crate::filters`]), and the deleted customer itself
//! on delete.

use axum::http::StatusCode;
use axum::response::Response;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

use super::{Listing, PagingStyle, Profile};
use crate::error::json_response;
use crate::filters;
use crate::objects::TimeStyle;
use crate::proto::pb;
use crate::query::Query;

pub const BASE: &str = "/epoch/v1";

pub struct Epoch;

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Epoch{T}List")]
struct List<T> {
    #[schemars(extend("enum" = ["list"]))]
    object: &'static str,
    data: Vec<T>,
    has_more: bool,
}

impl Profile for Epoch {
    const BASE: &'static str = BASE;
    const TAG: &'static str = "epoch";
    const SUMMARY: &'static str = "Epoch dialect: times in milliseconds, cursor lists (`filters` on customers), delete returns the customer.";
    const TIMES: TimeStyle = TimeStyle::Millis;
    const DELETE_ANSWERS_OBJECT: bool = true;

    const PAGING: PagingStyle = PagingStyle::Cursor {
        max: 1000,
        default: 50,
    };

    fn list_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<List<T>>()
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

    /// `filters`, a JSON document (see [`filters`]).
    fn customer_filters(query: &mut Query, request: &mut pb::ListCustomersRequest) {
        let text = query
            .string(filters::PARAMETER)
            .filter(|t| !t.trim().is_empty());
        if let Some(text) = text {
            match filters::parse(&text) {
                Ok(filter) => request.filter = Some(filter),
                Err(problems) => problems.into_iter().for_each(|p| query.add(p)),
            }
        }
    }
}
