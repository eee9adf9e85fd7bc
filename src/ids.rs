//! Random identifiers and secrets.

/// Returns `prefix` followed by `bytes` random bytes in lowercase hex.
///
/// Ids are unguessable: they come from the operating system's CSPRNG.
pub fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS random source failing is not something a request can cause or recover from.
    getrandom::fill(&mut buf).expect("operating system random source is unavailable");
    let mut out = String::with_capacity(prefix.len() + bytes * 2);
    out.push_str(prefix);
    for b in buf {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `prefix`, the current time in milliseconds as 12 hex characters, and 48
/// random bits as 12 more. Ids made close in time sort close together, so new
/// rows land at the end of each index instead of all over it (far fewer pages
/// written per commit); the random half keeps them unguessable and unique.
pub fn time_ordered(prefix: &str) -> String {
    let millis = u64::try_from(now_micros().max(0) / 1000).unwrap_or(0) & 0xffff_ffff_ffff;
    let mut out = random_token(prefix, 6);
    let at = format!("{millis:012x}");
    out.insert_str(prefix.len(), &at);
    out
}

/// The smallest id [`time_ordered`] could make with `prefix` at `micros`:
/// every id made earlier sorts below it, every id made then or later does not.
pub fn time_ordered_floor(prefix: &str, micros: i64) -> String {
    let millis = u64::try_from(micros.max(0) / 1000).unwrap_or(0) & 0xffff_ffff_ffff;
    format!("{prefix}{millis:012x}")
}

/// Whether `id` has the shape of a time-ordered id with `prefix`: the prefix
/// and 24 lowercase hex characters.
pub fn is_time_ordered(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 24 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// When a time-ordered id with `prefix` was made, in microseconds since the
/// Unix epoch (to the millisecond); `None` for an id not of that shape.
pub fn created_micros(id: &str, prefix: &str) -> Option<i64> {
    let hex = id.strip_prefix(prefix)?.get(..12)?;
    let millis = i64::from_str_radix(hex, 16).ok()?;
    Some(millis * 1000)
}

/// A new customer id: `cus_` and 24 hex characters.
pub fn customer_id() -> String {
    time_ordered("cus_")
}

/// A new payment id: `pay_` and 24 hex characters.
pub fn payment_id() -> String {
    time_ordered("pay_")
}

/// A new event id: `evt_` and 24 hex characters.
pub fn event_id() -> String {
    time_ordered("evt_")
}

/// A new subscription id: `sub_` and 24 hex characters.
pub fn subscription_id() -> String {
    time_ordered("sub_")
}

/// Whether `id` could name a stored object; ids that cannot (they hold a
/// NUL, which no database here stores) are simply not found.
pub fn could_exist(id: &str) -> bool {
    !id.contains('\0')
}

/// A new account id.
pub fn account_id() -> String {
    random_token("acct_", 12)
}

/// A new API key record id (not the secret itself).
pub fn key_id() -> String {
    random_token("key_", 12)
}

/// Current time in microseconds since the Unix epoch, the unit every stored timestamp uses.
pub fn now_micros() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_have_prefix_and_length_and_differ() {
        let a = customer_id();
        let b = customer_id();
        assert!(a.starts_with("cus_"));
        assert_eq!(a.len(), 4 + 24);
        assert!(a[4..].bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_floor_of_a_time_sorts_between_earlier_and_later_ids() {
        let id = time_ordered("evt_");
        let at = created_micros(&id, "evt_").unwrap();
        assert!(id.as_str() >= time_ordered_floor("evt_", at).as_str());
        assert!(id < time_ordered_floor("evt_", at + 1000));
    }

    #[test]
    fn ids_made_later_sort_later() {
        let first = customer_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = customer_id();
        assert!(first[..16] < second[..16], "{first} then {second}");
        assert_eq!(second.len(), 4 + 24);
    }
}
