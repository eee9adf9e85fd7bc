//! The `4geeks` profile at `/4geeks/v1`: `email` required on create, ISO 8601
//! times, offset pagination `{items, total_items, limit, offset}`, and
//! `{id, object, deleted: true}` on delete.

use axum::http::StatusCode;
use axum::response::Response;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

use super::{Listing, PagingStyle, Profile};
use crate::error::json_response;
use crate::objects::TimeStyle;

pub const BASE: &str = "/4geeks/v1";

pub struct FourGeeks;

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "FourGeeks{T}Page")]
struct Page<T> {
    items: Vec<T>,
    #[schemars(range(min = 0))]
    total_items: i64,
    limit: i32,
    offset: i32,
}

impl Profile for FourGeeks {
    const BASE: &'static str = BASE;
    const TAG: &'static str = "4geeks";
    const SUMMARY: &'static str =
        "4geeks dialect: email required on create, offset pagination with a total.";
    const TIMES: TimeStyle = TimeStyle::Iso;
    const CREATE_REQUIRES_EMAIL: bool = true;

    const PAGING: PagingStyle = PagingStyle::Offset {
        max: 100,
        default: 10,
    };

    fn list_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<Page<T>>()
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
}
