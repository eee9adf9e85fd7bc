//! What every object the gateway writes shares, whichever resource it is:
//! instants in the profile's style and metadata as a sorted map.

use std::borrow::Cow;
use std::collections::BTreeMap;

use customerd_wire::statuses::Status;
use schemars::transform::Transform;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;

use crate::timestamps;

/// How a profile writes instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// RFC 3339 in UTC to the second: `"2024-01-15T10:00:00Z"`.
    Iso,
    /// Integer milliseconds since the Unix epoch.
    Millis,
}

/// An instant as a profile writes it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Time {
    Iso(String),
    Millis(i64),
}

/// A schema generator carries the style of the profile it describes among
/// its transforms, for [`Time`]'s schema; it changes no schema itself.
impl Transform for TimeStyle {
    fn transform(&mut self, _: &mut Schema) {}
}

impl JsonSchema for Time {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Time".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let transforms = &generator.settings().transforms;
        match transforms
            .iter()
            .find_map(|t| t.downcast_ref::<TimeStyle>())
        {
            Some(TimeStyle::Millis) => json_schema!({
                "type": "integer", "format": "int64", "description": "Milliseconds since the Unix epoch.",
            }),
            _ => json_schema!({
                "type": "string", "format": "date-time", "description": "RFC 3339 in UTC, to the second.",
            }),
        }
    }
}

/// The schema of a status field: one of `S`'s REST names.
pub fn status_schema<S: Status>(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = S::table().iter().map(|(name, _)| *name).collect();
    json_schema!({ "type": "string", "enum": names })
}

/// `ts` in `style`; `None` (written as null) when unset.
pub fn time(ts: Option<&prost_types::Timestamp>, style: TimeStyle) -> Option<Time> {
    let ts = ts?;
    match style {
        TimeStyle::Iso => timestamps::iso(ts).map(Time::Iso),
        TimeStyle::Millis => Some(Time::Millis(timestamps::millis(ts))),
    }
}

/// Metadata with its keys in order, so replies are stable.
pub fn metadata(map: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The wire name of a proto enum value, from a `(name, value)` table; `None`
/// (null) for a value the table lacks, which the service never sends.
pub fn enum_name<T: Copy + Into<i32>>(
    table: &[(&'static str, T)],
    value: i32,
) -> Option<&'static str> {
    table
        .iter()
        .find(|(_, v)| (*v).into() == value)
        .map(|(name, _)| *name)
}
