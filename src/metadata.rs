//! Metadata kept as a JSON object in one column (payments, subscriptions).

use std::collections::BTreeMap;

use sea_orm::DbErr;

pub fn encode(map: &BTreeMap<String, String>) -> String {
    // Serialising a map of strings cannot fail.
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
}

pub fn decode(json: &str) -> Result<BTreeMap<String, String>, DbErr> {
    serde_json::from_str(json)
        .map_err(|e| DbErr::Custom(format!("stored metadata is not valid: {e}")))
}
