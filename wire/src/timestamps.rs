//! Instants on the wire: rendering protobuf timestamps as ISO 8601 or epoch
//! milliseconds, and reading the instants clients send in queries and filters.
//!
//! A rendered time is truncated (to the second in ISO 8601, to the millisecond
//! in epoch form), so an instant a client sends stands for the whole unit it
//! names: `2024-01-15T10:00:00Z` is that entire second, `…:00.5Z` that tenth of
//! a second, `1705312800123` (ms) that millisecond. Lower bounds use the
//! start of that span and upper bounds its end, so a customer's own rendered
//! timestamp used as both bounds finds it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat};
use prost_types::Timestamp;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// An instant as a client wrote it: where it starts and how long a span it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    /// Microseconds since the Unix epoch.
    pub start: i64,
    /// Length of the named span in microseconds (at least 1).
    pub span: i64,
}

impl Instant {
    /// The first microsecond of the span.
    pub fn first(self) -> Timestamp {
        timestamp(self.start)
    }

    /// The last microsecond of the span.
    pub fn last(self) -> Timestamp {
        timestamp(self.start.saturating_add(self.span - 1))
    }

    /// An integer count of milliseconds since the epoch.
    pub fn from_millis(ms: i64) -> Option<Self> {
        Some(Self {
            start: ms.checked_mul(1000)?,
            span: 1000,
        })
    }

    /// Unix seconds (`1705312800`) or ISO 8601 / RFC 3339 text, with or without a
    /// fraction, `Z` or an offset (no offset means UTC), or a bare date (that whole day).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let seconds: i64 = text.parse().ok()?;
            return Some(Self {
                start: seconds.checked_mul(MICROS_PER_SECOND)?,
                span: MICROS_PER_SECOND,
            });
        }
        Self::parse_iso(text)
    }

    /// ISO 8601 / RFC 3339 text only.
    pub fn parse_iso(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            let start = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros();
            return Some(Self {
                start,
                span: 86_400 * MICROS_PER_SECOND,
            });
        }
        let start = match DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.timestamp_micros(),
            Err(_) => NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()?
                .and_utc()
                .timestamp_micros(),
        };
        Some(Self {
            start,
            span: fraction_span(text),
        })
    }
}

/// The span named by the fractional seconds written in `text` (after the time's seconds).
fn fraction_span(text: &str) -> i64 {
    let Some(time) = text.find(['T', 't', ' ']).map(|i| &text[i + 1..]) else {
        return MICROS_PER_SECOND;
    };
    let digits = time.split_once('.').map_or(0, |(_, frac)| {
        frac.bytes().take_while(u8::is_ascii_digit).count()
    });
    match digits {
        0 => MICROS_PER_SECOND,
        n if n >= 6 => 1,
        n => 10_i64.pow(6 - n as u32),
    }
}

/// A protobuf timestamp for microseconds since the Unix epoch.
pub fn timestamp(micros: i64) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(MICROS_PER_SECOND),
        nanos: (micros.rem_euclid(MICROS_PER_SECOND) * 1000) as i32,
    }
}

/// RFC 3339 in UTC to the second, e.g. `2024-01-15T10:00:00Z`.
pub fn iso(ts: &Timestamp) -> Option<String> {
    DateTime::from_timestamp(ts.seconds, 0).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Whole milliseconds since the Unix epoch.
pub fn millis(ts: &Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos.clamp(0, 999_999_999) / 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_705_312_800; // 2024-01-15T10:00:00Z

    #[test]
    fn renders_iso_to_the_second_and_millis() {
        let ts = Timestamp {
            seconds: T,
            nanos: 123_456_000,
        };
        assert_eq!(iso(&ts).as_deref(), Some("2024-01-15T10:00:00Z"));
        assert_eq!(millis(&ts), T * 1000 + 123);
    }

    #[test]
    fn reads_unix_seconds_and_iso_forms() {
        let second = Instant {
            start: T * 1_000_000,
            span: 1_000_000,
        };
        for text in [
            "1705312800",
            "2024-01-15T10:00:00Z",
            "2024-01-15T11:00:00+01:00",
            "2024-01-15T10:00:00",
            "2024-01-15 10:00:00Z",
        ] {
            assert_eq!(Instant::parse(text), Some(second), "{text}");
        }
        assert_eq!(
            Instant::parse("2024-01-15T10:00:00.5Z"),
            Some(Instant {
                start: T * 1_000_000 + 500_000,
                span: 100_000
            })
        );
        assert_eq!(
            Instant::parse("2024-01-15T10:00:00.123456Z").map(|i| i.span),
            Some(1)
        );
        assert_eq!(
            Instant::parse("2024-01-15"),
            Some(Instant {
                start: (T - 10 * 3600) * 1_000_000,
                span: 86_400_000_000
            })
        );
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-01-15T25:00:00Z",
            "-5",
            "1.5",
        ] {
            assert_eq!(Instant::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bounds_cover_the_named_span() {
        let i = Instant::parse("2024-01-15T10:00:00Z").unwrap();
        assert_eq!(
            i.first(),
            Timestamp {
                seconds: T,
                nanos: 0
            }
        );
        assert_eq!(
            i.last(),
            Timestamp {
                seconds: T,
                nanos: 999_999_000
            }
        );
        let ms = Instant::from_millis(T * 1000 + 5).unwrap();
        assert_eq!(
            ms.last(),
            Timestamp {
                seconds: T,
                nanos: 5_999_000
            }
        );
    }
}
