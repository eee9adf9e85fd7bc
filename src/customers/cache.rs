//! Customers read recently, kept in memory by a server that is the sole
//! writer of its database (see [`Presence`]).
//!
//! A copy is never older than a write acknowledged before the read began:
//! - every write of a customer, in this process, bumps the generation of the
//!   customer's shard after its commit and before it is acknowledged;
//! - a copy is stamped with the generation read before the database read that
//!   produced it, and served only while its shard still has that generation;
//! - no other process can write while this one is sole, and the cache is
//!   emptied and switched off before this process stops being sole, so a copy
//!   served is one read while no other writer existed.
//!
//! Memory is bounded by an estimate of each copy's size.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::Customer;
use crate::auth::Tenant;
use crate::db::Presence;

const SHARDS: usize = 64;
/// The memory all copies may take, estimated.
const BUDGET_BYTES: usize = 8 << 20;
/// How often a sole server looks for a newcomer (which waits this long at most).
const WATCH_EVERY: Duration = Duration::from_millis(20);

/// The process's customer copies; cheap to clone, disabled where a copy could go stale.
#[derive(Clone)]
pub struct CustomerCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    enabled: AtomicBool,
    hasher: RandomState,
    generations: Vec<AtomicU64>,
    shards: Vec<Mutex<Shard>>,
}

#[derive(Default)]
struct Shard {
    entries: HashMap<String, Entry>,
    bytes: usize,
}

struct Entry {
    generation: u64,
    tenant: Tenant,
    customer: Arc<Customer>,
    bytes: usize,
}

/// What a database read must carry back to be kept: its shard's generation
/// from before the read.
#[derive(Debug)]
pub struct Ticket {
    shard: usize,
    generation: u64,
}

impl CustomerCache {
    /// A cache that keeps nothing.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// A cache for a server with `presence`; it keeps nothing unless the
    /// server is sole, and switches off for good when a newcomer arrives.
    pub fn new(presence: Option<Arc<Presence>>) -> Self {
        let Some(presence) = presence.filter(|p| p.sole()) else {
            return Self::disabled();
        };
        let inner = Arc::new(Inner {
            enabled: AtomicBool::new(true),
            hasher: RandomState::new(),
            generations: (0..SHARDS).map(|_| AtomicU64::new(0)).collect(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        });
        let watched = Arc::downgrade(&inner);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(WATCH_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let Some(inner) = watched.upgrade() else {
                    // Nothing relies on being sole any more.
                    presence.step_back();
                    return;
                };
                if presence.company() {
                    inner.switch_off();
                    presence.step_back();
                    tracing::info!(
                        "another server opened the database; customers are read from it from now on"
                    );
                    return;
                }
            }
        });
        Self { inner: Some(inner) }
    }

    /// The copy of `id` if one may be served to `tenant`; otherwise what the
    /// database read must bring back to [`keep`](Self::keep) its result.
    pub fn get(&self, tenant: &Tenant, id: &str) -> Result<Customer, Option<Ticket>> {
        let Some(inner) = &self.inner else {
            return Err(None);
        };
        if !inner.enabled.load(Ordering::SeqCst) {
            return Err(None);
        }
        let shard = inner.shard_of(id);
        let generation = inner.generations[shard].load(Ordering::SeqCst);
        let copy = inner
            .lock(shard)
            .entries
            .get(id)
            .filter(|e| e.generation == generation && &e.tenant == tenant)
            .map(|e| Arc::clone(&e.customer));
        // Served only if the cache was still on after the copy was read: it
        // is switched off before any other writer may start.
        match copy {
            Some(copy) if inner.enabled.load(Ordering::SeqCst) => Ok(Customer::clone(&copy)),
            _ => Err(Some(Ticket { shard, generation })),
        }
    }

    /// Keeps what a database read found, unless a write may have overtaken it.
    pub fn keep(&self, ticket: Option<Ticket>, tenant: &Tenant, customer: &Customer) {
        let (Some(inner), Some(ticket)) = (&self.inner, ticket) else {
            return;
        };
        if inner.generations[ticket.shard].load(Ordering::SeqCst) != ticket.generation {
            return;
        }
        let bytes = estimate(customer);
        let budget = BUDGET_BYTES / SHARDS;
        let mut shard = inner.lock(ticket.shard);
        if bytes > budget {
            return;
        }
        while shard.bytes + bytes > budget {
            let Some(victim) = shard.entries.keys().next().cloned() else {
                break;
            };
            if let Some(gone) = shard.entries.remove(&victim) {
                shard.bytes -= gone.bytes;
            }
        }
        let entry = Entry {
            generation: ticket.generation,
            tenant: tenant.clone(),
            customer: Arc::new(customer.clone()),
            bytes,
        };
        if let Some(old) = shard.entries.insert(customer.id.clone(), entry) {
            shard.bytes -= old.bytes;
        }
        shard.bytes += bytes;
    }

    /// Marks every copy of `id` out of date. Call after a write of the
    /// customer has committed (or failed) and before answering.
    pub fn written(&self, id: &str) {
        if let Some(inner) = &self.inner {
            let shard = inner.shard_of(id);
            inner.generations[shard].fetch_add(1, Ordering::SeqCst);
            let mut shard = inner.lock(shard);
            if let Some(gone) = shard.entries.remove(id) {
                shard.bytes -= gone.bytes;
            }
        }
    }
}

impl Inner {
    fn shard_of(&self, id: &str) -> usize {
        (self.hasher.hash_one(id) as usize) % SHARDS
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        self.shards[shard].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn switch_off(&self) {
        self.enabled.store(false, Ordering::SeqCst);
        for shard in 0..SHARDS {
            let mut shard = self.lock(shard);
            shard.entries.clear();
            shard.bytes = 0;
        }
    }
}

/// Roughly what a copy costs in memory: the strings, and the structures and
/// allocations around them.
fn estimate(c: &Customer) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, |s| 32 + s.len());
    512 + c.id.len() * 2
        + c.texts.iter().map(|(_, value)| text(value)).sum::<usize>()
        + c.metadata
            .iter()
            .map(|(k, v)| 96 + k.len() + v.len())
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::Texts;

    fn tenant() -> Tenant {
        Tenant {
            account_id: "acct_1".into(),
            live: false,
        }
    }

    fn customer(id: &str, name: &str) -> Customer {
        Customer {
            id: id.into(),
            live: false,
            texts: Texts {
                name: Some(name.into()),
                ..Texts::default()
            },
            metadata: Default::default(),
            created_at: 1,
            updated_at: 1,
        }
    }

    #[tokio::test]
    async fn a_read_overtaken_by_a_write_is_not_kept() {
        let presence = Presence::join("sqlite::memory:").unwrap().map(Arc::new);
        let cache = CustomerCache::new(presence);
        let ticket = cache.get(&tenant(), "cus_1").unwrap_err();
        cache.written("cus_1");
        cache.keep(ticket, &tenant(), &customer("cus_1", "old"));
        assert!(cache.get(&tenant(), "cus_1").is_err());

        let ticket = cache.get(&tenant(), "cus_1").unwrap_err();
        cache.keep(ticket, &tenant(), &customer("cus_1", "new"));
        let copy = cache.get(&tenant(), "cus_1").expect("kept");
        assert_eq!(copy.texts.name.as_deref(), Some("new"));
        cache.written("cus_1");
        assert!(cache.get(&tenant(), "cus_1").is_err());
    }

    #[tokio::test]
    async fn copies_are_served_to_their_tenant_only() {
        let presence = Presence::join("sqlite::memory:").unwrap().map(Arc::new);
        let cache = CustomerCache::new(presence);
        let ticket = cache.get(&tenant(), "cus_1").unwrap_err();
        cache.keep(ticket, &tenant(), &customer("cus_1", "a"));
        let other = Tenant {
            account_id: "acct_1".into(),
            live: true,
        };
        assert!(cache.get(&other, "cus_1").is_err());
        assert!(cache.get(&tenant(), "cus_1").is_ok());
    }

    #[tokio::test]
    async fn memory_stays_within_budget() {
        let presence = Presence::join("sqlite::memory:").unwrap().map(Arc::new);
        let cache = CustomerCache::new(presence);
        for i in 0..200_000 {
            let id = format!("cus_{i:024}");
            let ticket = cache.get(&tenant(), &id).unwrap_err();
            cache.keep(ticket, &tenant(), &customer(&id, "somebody"));
        }
        let inner = cache.inner.as_ref().unwrap();
        let used: usize = (0..SHARDS).map(|s| inner.lock(s).bytes).sum();
        assert!(used <= BUDGET_BYTES, "{used} bytes kept");
        assert!(used > BUDGET_BYTES / 2, "the budget is used");
    }

    #[test]
    fn servers_that_are_not_sole_keep_nothing() {
        let cache = CustomerCache::new(None);
        let ticket = cache.get(&tenant(), "cus_1").unwrap_err();
        assert!(ticket.is_none());
        cache.keep(ticket, &tenant(), &customer("cus_1", "a"));
        assert!(cache.get(&tenant(), "cus_1").is_err());
    }
}
