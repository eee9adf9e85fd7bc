//! Key lookups answered from memory for a bounded time.
//!
//! What a lookup found, a tenant or "no such usable key", is kept for the
//! cache's time to live, so a revoked or rolled-out key is refused by every
//! process within that time. Lookups that miss are batched: at most one
//! database query is in flight per process, and every key asked for while it
//! runs waits for the next one, so a flood of unknown keys costs a bounded
//! number of queries. Unknown keys are remembered in a bounded table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

use super::Tenant;
use super::keys::{self, Credential, digest, hex, looks_like_secret};
use crate::error::{Error, Result};
use crate::ids;

/// How many unknown keys are remembered at most.
const MAX_UNKNOWN: usize = 10_000;
/// How many keys one lookup query asks for at most.
const MAX_BATCH: usize = 256;

type Digest = [u8; 32];
type Waiter = oneshot::Sender<Result<Option<Credential>, String>>;

struct Entry {
    found: Option<Credential>,
    until: Instant,
}

#[derive(Default)]
struct State {
    entries: HashMap<Digest, Entry>,
    unknown: usize,
    waiting: HashMap<Digest, Vec<Waiter>>,
    loading: bool,
}

/// The process's key lookups; cheap to clone.
#[derive(Clone)]
pub struct KeyCache {
    shared: Arc<Shared>,
}

struct Shared {
    db: DatabaseConnection,
    ttl: Duration,
    state: Mutex<State>,
}

impl KeyCache {
    /// A cache that keeps each answer for `ttl` (zero: ask the database every time).
    pub fn new(db: DatabaseConnection, ttl: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                db,
                ttl,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The tenant of a usable key, or `None` for a key that is unknown,
    /// revoked or expired.
    pub async fn tenant(&self, secret: &str) -> Result<Option<Tenant>> {
        if !looks_like_secret(secret) {
            return Ok(None);
        }
        let key = digest(secret);
        let waiting = {
            let mut state = self.shared.lock();
            if let Some(entry) = state.entries.get(&key)
                && entry.until > Instant::now()
            {
                return Ok(usable(entry.found.as_ref()));
            }
            let (tx, rx) = oneshot::channel();
            state.waiting.entry(key).or_default().push(tx);
            if !state.loading {
                state.loading = true;
                tokio::spawn(Arc::clone(&self.shared).load());
            }
            rx
        };
        match waiting.await {
            Ok(Ok(found)) => Ok(usable(found.as_ref())),
            Ok(Err(message)) => Err(Error::Internal(sea_orm::DbErr::Custom(message))),
            Err(_) => Err(Error::Internal(sea_orm::DbErr::Custom(
                "the key lookup stopped".to_owned(),
            ))),
        }
    }
}

fn usable(found: Option<&Credential>) -> Option<Tenant> {
    let credential = found?;
    match credential.expires_at {
        Some(at) if at <= ids::now_micros() => None,
        _ => Some(credential.tenant.clone()),
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only cached answers behind,
        // which stay valid; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers every waiting lookup, one query per round, until none is left.
    async fn load(self: Arc<Self>) {
        loop {
            let batch: Vec<(Digest, Vec<Waiter>)> = {
                let mut state = self.lock();
                let keys: Vec<Digest> = state.waiting.keys().take(MAX_BATCH).copied().collect();
                if keys.is_empty() {
                    state.loading = false;
                    return;
                }
                keys.into_iter()
                    .filter_map(|k| state.waiting.remove(&k).map(|w| (k, w)))
                    .collect()
            };
            let asked = batch.iter().map(|(k, _)| hex(k)).collect();
            let answer = keys::find_credentials(&self.db, asked).await;
            let mut state = self.lock();
            match answer {
                Ok(found) => {
                    let mut found: HashMap<String, Credential> = found.into_iter().collect();
                    let until = Instant::now() + self.ttl;
                    for (key, waiters) in batch {
                        let credential = found.remove(&hex(&key));
                        if !self.ttl.is_zero() {
                            state.remember(key, credential.clone(), until);
                        }
                        for waiter in waiters {
                            let _ = waiter.send(Ok(credential.clone()));
                        }
                    }
                }
                Err(err) => {
                    let message = err.to_string();
                    for waiter in batch.into_iter().flat_map(|(_, w)| w) {
                        let _ = waiter.send(Err(message.clone()));
                    }
                }
            }
        }
    }
}

impl State {
    fn remember(&mut self, key: Digest, found: Option<Credential>, until: Instant) {
        if found.is_none() {
            if self.unknown >= MAX_UNKNOWN {
                self.forget_unknown();
            }
            self.unknown += 1;
        }
        if let Some(old) = self.entries.insert(key, Entry { found, until })
            && old.found.is_none()
        {
            self.unknown -= 1;
        }
    }

    /// Makes room among unknown keys: expired ones first, all of them if none has expired.
    fn forget_unknown(&mut self) {
        let now = Instant::now();
        self.entries
            .retain(|_, e| e.found.is_some() || e.until > now);
        if self.entries.values().filter(|e| e.found.is_none()).count() >= MAX_UNKNOWN {
            self.entries.retain(|_, e| e.found.is_some());
        }
        self.unknown = self.entries.values().filter(|e| e.found.is_none()).count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> Credential {
        Credential {
            tenant: Tenant {
                account_id: "acct_1".into(),
                live: false,
            },
            expires_at: None,
        }
    }

    #[test]
    fn unknown_keys_are_bounded() {
        let mut state = State::default();
        let until = Instant::now() + Duration::from_secs(60);
        state.remember([0; 32], Some(credential()), until);
        for i in 0..(MAX_UNKNOWN + 10) as u32 {
            let mut key = [1u8; 32];
            key[..4].copy_from_slice(&i.to_be_bytes());
            state.remember(key, None, until);
        }
        let unknown = state.entries.values().filter(|e| e.found.is_none()).count();
        assert!(unknown <= MAX_UNKNOWN, "{unknown} unknown keys kept");
        assert_eq!(unknown, state.unknown);
        assert!(
            state
                .entries
                .get(&[0; 32])
                .is_some_and(|e| e.found.is_some())
        );
    }

    #[test]
    fn an_expired_credential_is_not_usable() {
        let mut expired = credential();
        expired.expires_at = Some(ids::now_micros() - 1);
        assert_eq!(usable(Some(&expired)), None);
        assert_eq!(usable(Some(&credential())), Some(credential().tenant));
        assert_eq!(usable(None), None);
    }
}
