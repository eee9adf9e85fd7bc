//! Endpoint secrets: issued once, stored sealed when the server has a
//! `--secret-key`, and used to sign every delivery.
//!
//! Sealing is ChaCha20-Poly1305 under a key derived (SHA-256) from the
//! operator's secret key, with a random nonce per secret and the endpoint's
//! id as associated data, so a sealed secret cannot be moved to another
//! endpoint. Without a secret key the secret is stored as issued.

use std::fmt;

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use sha2::{Digest, Sha256};

use customerd_wire::webhooks::SECRET_PREFIX;

/// A new endpoint secret, `whsec_` and 48 hex characters.
pub fn issue() -> String {
    crate::ids::random_token(SECRET_PREFIX, 24)
}

/// The `Customerd-Signature` value for `body` sent at `unix_seconds`:
/// `t=<seconds>,v1=<hex HMAC-SHA256 of "<seconds>.<body>" keyed by the secret>`.
pub fn signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(unix_seconds.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    let tag = context.sign();
    let mut out = format!("t={unix_seconds},v1=");
    for byte in tag.as_ref() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The operator's key that seals endpoint secrets at rest.
#[derive(Clone)]
pub struct SealingKey(std::sync::Arc<LessSafeKey>);

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

/// Why a stored secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsealed {
    #[error("the endpoint's secret is sealed and the server has no --secret-key")]
    NoKey,
    #[error("the endpoint's secret was sealed with another --secret-key")]
    WrongKey,
}

impl SealingKey {
    /// The key `text` (any non-empty string; a long random one) derives.
    pub fn from_text(text: &str) -> Self {
        let mut digest = Sha256::new();
        digest.update(b"customerd webhook secrets\0");
        digest.update(text.as_bytes());
        let derived = digest.finalize();
        let key = UnboundKey::new(&CHACHA20_POLY1305, &derived)
            .expect("a 32-byte key fits ChaCha20-Poly1305");
        Self(std::sync::Arc::new(LessSafeKey::new(key)))
    }

    /// `secret` sealed for endpoint `id`: nonce, then ciphertext and tag.
    pub fn seal(&self, id: &str, secret: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("operating system random source is unavailable");
        let mut sealed = secret.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(id.as_bytes()),
                &mut sealed,
            )
            .expect("a short secret always seals");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    fn open(&self, id: &str, stored: &[u8]) -> Result<String, Unsealed> {
        if stored.len() < NONCE_LEN {
            return Err(Unsealed::WrongKey);
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unsealed::WrongKey)?;
        let mut buffer = sealed.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(id.as_bytes()), &mut buffer)
            .map_err(|_| Unsealed::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| Unsealed::WrongKey)
    }
}

/// How a secret is stored: `(bytes, sealed)`.
pub fn store(key: Option<&SealingKey>, id: &str, secret: &str) -> (Vec<u8>, bool) {
    match key {
        Some(key) => (key.seal(id, secret), true),
        None => (secret.as_bytes().to_vec(), false),
    }
}

/// The secret of endpoint `id` as stored.
pub fn read(
    key: Option<&SealingKey>,
    id: &str,
    stored: &[u8],
    sealed: bool,
) -> Result<String, Unsealed> {
    if !sealed {
        return String::from_utf8(stored.to_vec()).map_err(|_| Unsealed::WrongKey);
    }
    key.ok_or(Unsealed::NoKey)?.open(id, stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // RFC 4231 test case 2 ("Jefe"), with the message split as "<t>.<body>".
        let signed = signature("Jefe", 0, b"what do ya want for nothing?");
        assert!(signed.starts_with("t=0,v1="));
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"Jefe");
        let expected = hmac::sign(&key, b"0.what do ya want for nothing?");
        let hex: String = expected
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(signed, format!("t=0,v1={hex}"));
        assert_eq!(hex.len(), 64);
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_endpoint() {
        let key = SealingKey::from_text("operator key");
        let secret = issue();
        assert!(secret.starts_with("whsec_") && secret.len() == 6 + 48);
        let (stored, sealed) = store(Some(&key), "we_1", &secret);
        assert!(sealed);
        assert!(!stored.windows(secret.len()).any(|w| w == secret.as_bytes()));
        assert_eq!(read(Some(&key), "we_1", &stored, true), Ok(secret.clone()));
        assert_eq!(read(None, "we_1", &stored, true), Err(Unsealed::NoKey));
        let other = SealingKey::from_text("another key");
        assert_eq!(
            read(Some(&other), "we_1", &stored, true),
            Err(Unsealed::WrongKey)
        );
        assert_eq!(
            read(Some(&key), "we_2", &stored, true),
            Err(Unsealed::WrongKey)
        );
        let (plain, sealed) = store(None, "we_1", &secret);
        assert!(!sealed);
        assert_eq!(read(Some(&key), "we_1", &plain, false), Ok(secret));
    }
}
