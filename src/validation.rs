//! Field rules shared by every resource; each check appends its problems to a
//! list so that one response reports them all.

use std::collections::BTreeMap;

use crate::error::{Reason, Violation};

pub use customerd_wire::limits::{
    DESCRIPTION_MAX, EMAIL_MAX, METADATA_KEY_MAX, METADATA_MAX_KEYS, METADATA_VALUE_MAX, NAME_MAX,
    PHONE_MAX, PLAN_MAX,
};

/// How many characters of a client's value an error repeats: enough to
/// recognise it, never so many that the error outgrows what gRPC trailers carry.
pub const ECHO_MAX: usize = 64;

/// `value` as an error repeats it: whole when short, else its start and `…`.
pub fn shown(value: &str) -> String {
    match value.char_indices().nth(ECHO_MAX) {
        None => value.to_owned(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

/// Collects violations while a request is checked.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn add(
        &mut self,
        field: impl Into<String>,
        reason: Reason,
        description: impl Into<String>,
    ) {
        self.0.push(Violation::new(field, reason, description));
    }

    /// A violation of `limit` (a length, a count, a bound).
    pub fn over_limit(
        &mut self,
        field: impl Into<String>,
        reason: Reason,
        limit: usize,
        description: impl Into<String>,
    ) {
        self.0
            .push(Violation::new(field, reason, description).with_limit(limit));
    }

    /// A number out of its range: it must be `bound` `limit` (e.g. greater than 0).
    pub fn out_of_bounds(
        &mut self,
        field: impl Into<String>,
        bound: customerd_wire::limits::Bound,
        limit: u64,
        description: impl Into<String>,
    ) {
        self.0
            .push(Violation::new(field, Reason::OutOfRange, description).with_bound(bound, limit));
    }

    /// `Ok(value)` when nothing was found wrong, else every problem at once.
    pub fn finish<T>(self, value: T) -> crate::error::Result<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(crate::error::Error::Invalid(self.0))
        }
    }

    /// Rejects NUL characters, which no database here can store or compare.
    /// Returns whether the value was acceptable.
    pub fn text(&mut self, field: &str, value: &str) -> bool {
        if value.contains('\0') {
            self.add(
                field,
                Reason::InvalidValue,
                "must not contain NUL characters",
            );
            return false;
        }
        true
    }

    /// An optional text filter, checked as [`text`](Self::text).
    pub fn text_filter(&mut self, field: &str, value: &Option<String>) -> Option<String> {
        if let Some(value) = value {
            self.text(field, value);
        }
        value.clone()
    }

    pub fn max_chars(&mut self, field: &str, value: &str, max: usize) {
        if !self.text(field, value) {
            return;
        }
        if value.chars().count() > max {
            self.over_limit(
                field,
                Reason::TooLong,
                max,
                format!("must be at most {max} characters"),
            );
        }
    }

    pub fn email(&mut self, field: &str, value: &str) {
        if !self.text(field, value) {
            return;
        }
        if value.chars().count() > EMAIL_MAX {
            self.over_limit(
                field,
                Reason::TooLong,
                EMAIL_MAX,
                format!("must be at most {EMAIL_MAX} characters"),
            );
        } else if !is_valid_email(value) {
            self.add(field, Reason::InvalidEmail, "is not a valid email address");
        }
    }

    /// Checks one metadata entry; `prefix` is the path of the map, e.g. `metadata`.
    pub fn metadata_entry(&mut self, prefix: &str, key: &str, value: &str) {
        let path = format!("{prefix}.{}", shown(key));
        if !self.text(&path, key) || !self.text(&path, value) {
            return;
        }
        if key.is_empty() {
            self.add(prefix, Reason::EmptyKey, "keys must not be empty");
        } else if key.chars().count() > METADATA_KEY_MAX {
            self.over_limit(
                path.clone(),
                Reason::TooLong,
                METADATA_KEY_MAX,
                format!("key must be at most {METADATA_KEY_MAX} characters"),
            );
        }
        if value.chars().count() > METADATA_VALUE_MAX {
            self.over_limit(
                path.clone(),
                Reason::TooLong,
                METADATA_VALUE_MAX,
                format!("value must be at most {METADATA_VALUE_MAX} characters"),
            );
        }
    }

    /// Microseconds since the Unix epoch for a protobuf timestamp, or a violation.
    pub fn timestamp(&mut self, field: &str, ts: &prost_types::Timestamp) -> Option<i64> {
        if !(0..1_000_000_000).contains(&ts.nanos) {
            self.add(
                field,
                Reason::OutOfRange,
                "nanos must be between 0 and 999999999",
            );
            return None;
        }
        let micros = ts
            .seconds
            .checked_mul(1_000_000)
            .and_then(|s| s.checked_add(i64::from(ts.nanos / 1000)));
        if micros.is_none() {
            self.add(field, Reason::OutOfRange, "is out of range");
        }
        micros
    }

    /// A list's `limit`: `default` when unset (zero), else between 1 and `max`.
    pub fn limit(&mut self, limit: i32, default: u64, max: i32) -> u64 {
        match limit {
            0 => default,
            n if (1..=max).contains(&n) => n as u64,
            _ => {
                self.add(
                    "limit",
                    Reason::OutOfRange,
                    format!("must be between 1 and {max}"),
                );
                default
            }
        }
    }

    /// The bounds of a list's `created_gte` and `created_lte` filters, in
    /// microseconds since the Unix epoch.
    pub fn created_range(
        &mut self,
        gte: Option<&prost_types::Timestamp>,
        lte: Option<&prost_types::Timestamp>,
    ) -> (Option<i64>, Option<i64>) {
        let gte = gte.and_then(|ts| self.timestamp("created_gte", ts));
        let lte = lte.and_then(|ts| self.timestamp("created_lte", ts));
        (gte, lte)
    }

    /// Checks a whole metadata map as stored (count, keys, values).
    pub fn metadata(&mut self, prefix: &str, map: &BTreeMap<String, String>) {
        if map.len() > METADATA_MAX_KEYS {
            self.over_limit(
                prefix,
                Reason::TooManyKeys,
                METADATA_MAX_KEYS,
                format!("must have at most {METADATA_MAX_KEYS} keys"),
            );
        }
        for (k, v) in map {
            self.metadata_entry(prefix, k, v);
        }
    }
}

/// A pragmatic check of an address's shape: one `@`, a plausible local part and
/// a dotted domain of valid labels. Deliverability is not checked.
pub fn is_valid_email(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| {
            tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "customer@example.com",
            "jane.smith+tag@mail.example.co.uk",
            "o'brien@example.ie",
            "x@sub-domain.example.org",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "plainaddress",
            "@example.com",
            "a@",
            "a@b",
            "a@@example.com",
            "a b@example.com",
            ".a@example.com",
            "a..b@example.com",
            "a@-example.com",
            "a@example..com",
            "a@1.2.3.4",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn metadata_rules_report_each_problem() {
        let mut v = Violations::default();
        let mut map = BTreeMap::new();
        for i in 0..51 {
            map.insert(format!("k{i}"), "v".to_owned());
        }
        map.insert("k".repeat(41), "x".repeat(501));
        v.metadata("metadata", &map);
        let fields: Vec<_> =
            v.0.iter()
                .map(|x| (x.field.as_str(), x.description.as_str()))
                .collect();
        assert!(fields.contains(&("metadata", "must have at most 50 keys")));
        let long_key = format!("metadata.{}", "k".repeat(41));
        assert!(fields.contains(&(long_key.as_str(), "key must be at most 40 characters")));
        assert!(fields.contains(&(long_key.as_str(), "value must be at most 500 characters")));
    }
}
