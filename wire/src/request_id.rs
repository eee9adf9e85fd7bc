//! Request ids the service and the gateway make when the caller sent none.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A new request id: `req_` and 24 hex characters, unpredictable enough to
/// be unique, made without a system call.
pub fn generate() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut words = [0u64; 2];
    for word in &mut words {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(nanos);
        *word = hasher.finish();
    }
    format!("req_{:016x}{:08x}", words[0], words[1] as u32)
}

/// Whether a caller's request id is used as sent: 1 to 128 visible ASCII characters.
pub fn acceptable(value: &[u8]) -> bool {
    !value.is_empty() && value.len() <= 128 && value.iter().all(|b| (0x21..=0x7e).contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_shape_and_differ() {
        let (a, b) = (generate(), generate());
        assert!(a.starts_with("req_") && a.len() == 28, "{a}");
        assert_ne!(a, b);
        assert!(acceptable(a.as_bytes()));
        assert!(!acceptable(b"") && !acceptable(b"a b") && !acceptable(&[b'x'; 129]));
    }
}
