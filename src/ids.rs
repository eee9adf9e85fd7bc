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

/// A new customer id: `cus_` and 24 hex characters (96 random bits).
pub fn customer_id() -> String {
    random_token("cus_", 12)
}

/// A new payment id: `pay_` and 24 hex characters.
pub fn payment_id() -> String {
    random_token("pay_", 12)
}

/// A new subscription id: `sub_` and 24 hex characters.
pub fn subscription_id() -> String {
    random_token("sub_", 12)
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
}
