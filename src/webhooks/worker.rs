//! Delivery: claims due deliveries, POSTs each event signed to its endpoint,
//! records the attempt, and schedules a retry of a failure.
//!
//! A claim moves a delivery's attempt count on and leases it (its
//! `next_attempt_at` moves past the longest an attempt can take), in a
//! transaction that skips rows another replica holds; the attempt's outcome
//! is recorded only if the delivery still carries that count. So no two
//! attempts of one delivery ever overlap, and a delivery whose worker died
//! (kill -9 mid-POST) is attempted again when its lease lapses.
//!
//! A replica attempts at most [`PER_ENDPOINT`] deliveries of one endpoint and
//! [`OVERALL`] in all at once, so a slow or dead endpoint holds a few slots
//! and never the others'.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sea_query::{Expr, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use tokio::sync::{Notify, Semaphore};

use super::{Settings, address, dispatch, secret};
use crate::auth::Tenant;
use crate::db::begin_write;
use crate::db::entities::webhook_attempt;
use crate::db::entities::webhook_delivery::{self, DeliveryState};
use crate::db::entities::webhook_endpoint::{self, EndpointStatus};
use crate::error::{Error, Result};
use crate::events::hub::stopped;
use crate::events::{Hub, log};
use crate::ids;
use customerd_wire::webhooks::SIGNATURE_HEADER;

/// How long a receiver has to answer 2xx.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim holds a delivery: past any attempt's end.
const LEASE: Duration = Duration::from_secs(30);
/// Deliveries of one endpoint a replica attempts at once.
pub const PER_ENDPOINT: usize = 8;
/// Deliveries a replica attempts at once.
pub const OVERALL: usize = 128;
/// The most of a receiver's answer that is read.
const BODY_CAP: usize = 64 * 1024;
/// The longest gap between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);
/// How often the pending backlog is counted for `/metrics`.
const BACKLOG_EVERY: Duration = Duration::from_secs(5);

struct Worker {
    db: DatabaseConnection,
    settings: Arc<Settings>,
    client: reqwest::Client,
    /// Attempts under way per endpoint.
    busy: Mutex<HashMap<String, usize>>,
    slots: Arc<Semaphore>,
    /// An attempt finished: its endpoint may have room again.
    finished: Notify,
    /// An endpoint of this server was created or changed.
    endpoints_changed: Arc<Notify>,
}

/// The shortest gap between two rounds woken by commits: a burst of commits
/// is one round.
const COMMIT_GAP: Duration = Duration::from_millis(2);

/// The running worker, as the server sees it.
#[derive(Clone)]
pub struct Deliveries {
    /// Tells the worker an endpoint of this server was created or changed.
    pub endpoints_changed: Arc<Notify>,
    slots: Arc<Semaphore>,
}

impl Deliveries {
    /// Waits, at most `limit`, for the attempts under way to end and be
    /// recorded (the worker claims nothing new once the hub stops), so a
    /// restart does not send them again when their claims lapse.
    pub async fn settled(&self, limit: Duration) {
        let all = u32::try_from(OVERALL).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(limit, self.slots.acquire_many(all)).await;
    }
}

/// Starts the dispatcher and the delivery worker; they stop claiming when
/// `hub` stops.
pub fn start(db: DatabaseConnection, settings: Arc<Settings>, hub: &Hub) -> Deliveries {
    let endpoints_changed = Arc::new(Notify::new());
    let slots = Arc::new(Semaphore::new(OVERALL));
    let handle = Deliveries {
        endpoints_changed: Arc::clone(&endpoints_changed),
        slots: Arc::clone(&slots),
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(ATTEMPT_TIMEOUT / 2)
        .dns_resolver(Arc::new(address::GuardedResolver {
            allow_private: settings.allow_private,
        }))
        .pool_max_idle_per_host(PER_ENDPOINT)
        .user_agent(concat!("customerd/", env!("CARGO_PKG_VERSION")))
        .build();
    let client = match client {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "cannot build the webhook client; webhooks are not delivered");
            return handle;
        }
    };
    let worker = Arc::new(Worker {
        db,
        settings,
        client,
        busy: Mutex::new(HashMap::new()),
        slots,
        finished: Notify::new(),
        endpoints_changed: Arc::clone(&endpoints_changed),
    });
    tokio::spawn(worker.run(hub.commits(), hub.stopping()));
    handle
}

/// Where an attempt ended.
enum Answer {
    /// The receiver's status, and whether it counts as delivered.
    Status(u16),
    /// No status: a timeout, a refused address, a connection error.
    Failed(String),
    /// Nothing to retry: the event is gone.
    Abandoned(String),
}

impl Worker {
    async fn run(
        self: Arc<Self>,
        mut commits: tokio::sync::watch::Receiver<u64>,
        mut stopping: tokio::sync::watch::Receiver<bool>,
    ) {
        if let Some(key) = &self.settings.key {
            match super::store::seal_plain_secrets(&self.db, key).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(endpoints = n, "sealed webhook secrets with --secret-key"),
                Err(err) => tracing::warn!(error = %err, "cannot seal stored webhook secrets"),
            }
        }
        // Other servers' commits: announced on PostgreSQL, polled elsewhere.
        let poll = match self.db.get_database_backend() {
            DatabaseBackend::Postgres => Duration::from_secs(2),
            _ => Duration::from_millis(250),
        };
        let mut counted = Instant::now() - BACKLOG_EVERY;
        loop {
            if *stopping.borrow() {
                return;
            }
            // Without an enabled endpoint nothing can be claimed: most
            // servers have none, and commits would wake this loop often.
            let active = self.schedule().await;
            let (claimed, next_due) = if !active {
                (0, None)
            } else {
                match self.claim_and_start().await {
                    Ok(found) => found,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot claim webhook deliveries");
                        (0, None)
                    }
                }
            };
            if counted.elapsed() >= BACKLOG_EVERY {
                counted = Instant::now();
                if let Ok(pending) = self.backlog().await {
                    metrics::gauge!("customerd_webhook_pending").set(pending as f64);
                }
            }
            let now = ids::now_micros();
            let wait = match next_due {
                // Due now and claimed: look for more at once.
                Some(at) if at <= now && claimed > 0 => Duration::ZERO,
                // Due now but every slot it could take is busy: wait for one.
                Some(at) if at <= now => poll,
                Some(at) => Duration::from_micros((at - now) as u64).min(poll),
                None => poll,
            };
            if wait.is_zero() {
                continue;
            }
            // Commits matter only while some endpoint listens; an endpoint
            // created on another server is found by the poll. A commit made
            // during the round is still unseen, and wakes the next at once.
            tokio::select! {
                Ok(()) = commits.changed(), if active => {
                    tokio::time::sleep(COMMIT_GAP).await;
                }
                () = self.finished.notified() => {}
                () = self.endpoints_changed.notified() => {}
                () = tokio::time::sleep(wait) => {}
                () = stopped(&mut stopping) => return,
            }
        }
    }

    /// Schedules every event the enabled endpoints have not yet been given.
    /// Returns whether there is an enabled endpoint (or it could not tell).
    async fn schedule(&self) -> bool {
        loop {
            match self.behind().await {
                Ok(None) => return false,
                Ok(Some(false)) => return true,
                Ok(Some(true)) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "cannot check webhook cursors");
                    return true;
                }
            }
            match dispatch::round(&self.db).await {
                Ok((_, true)) => continue,
                Ok(_) => return true,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot schedule webhook deliveries");
                    return true;
                }
            }
        }
    }

    /// Whether an enabled endpoint's cursor is behind its stream (`None`:
    /// there is no enabled endpoint), read without a write transaction (most
    /// wakes have nothing to do).
    async fn behind(&self) -> Result<Option<bool>> {
        let cursors: Vec<(String, bool, i64)> = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Status.eq(EndpointStatus::Enabled))
            .select_only()
            .column(webhook_endpoint::Column::AccountId)
            .column(webhook_endpoint::Column::Live)
            .column(webhook_endpoint::Column::Cursor)
            .into_tuple()
            .all(&self.db)
            .await?;
        if cursors.is_empty() {
            return Ok(None);
        }
        let mut streams: Vec<(String, bool)> =
            cursors.iter().map(|(a, l, _)| (a.clone(), *l)).collect();
        streams.sort();
        streams.dedup();
        let heads = log::heads(&self.db, &streams).await?;
        Ok(Some(cursors.iter().any(|(account, live, cursor)| {
            heads
                .iter()
                .any(|h| h.account_id == *account && h.live == *live && h.seq > *cursor)
        })))
    }

    fn room(&self, endpoint: &str) -> usize {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        PER_ENDPOINT - busy.get(endpoint).copied().unwrap_or(0).min(PER_ENDPOINT)
    }

    /// Claims what is due, endpoint by endpoint as far as their room and the
    /// free slots allow, and starts the attempts. Returns how many it started
    /// and when the next pending delivery is due.
    async fn claim_and_start(self: &Arc<Self>) -> Result<(usize, Option<i64>)> {
        let now = ids::now_micros();
        let enabled = Query::select()
            .column(webhook_endpoint::Column::Id)
            .from(webhook_endpoint::Entity)
            .and_where(webhook_endpoint::Column::Status.eq(EndpointStatus::Enabled))
            .to_owned();
        let pending = || {
            webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
                .filter(webhook_delivery::Column::EndpointId.in_subquery(enabled.clone()))
        };
        let mut started = 0;
        if self.slots.available_permits() > 0 {
            let due: Vec<String> = pending()
                .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
                .select_only()
                .column(webhook_delivery::Column::EndpointId)
                .distinct()
                .limit(256)
                .into_tuple()
                .all(&self.db)
                .await?;
            for endpoint_id in due {
                let room = self.room(&endpoint_id).min(self.slots.available_permits());
                if room == 0 {
                    continue;
                }
                let Some((endpoint, claimed)) = self.claim(&endpoint_id, room, now).await? else {
                    continue;
                };
                let endpoint = Arc::new(endpoint);
                for delivery in claimed {
                    let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() else {
                        break;
                    };
                    *self
                        .busy
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(endpoint_id.clone())
                        .or_default() += 1;
                    started += 1;
                    let (worker, endpoint) = (Arc::clone(self), Arc::clone(&endpoint));
                    tokio::spawn(async move {
                        worker.attempt(&endpoint, delivery).await;
                        drop(slot);
                        let mut busy = worker.busy.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(n) = busy.get_mut(&endpoint.id) {
                            *n -= 1;
                            if *n == 0 {
                                busy.remove(&endpoint.id);
                            }
                        }
                        drop(busy);
                        worker.finished.notify_one();
                    });
                }
            }
        }
        let next: Option<Option<i64>> = pending()
            .select_only()
            .column_as(webhook_delivery::Column::NextAttemptAt.min(), "next")
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok((started, next.flatten()))
    }

    /// Claims up to `room` due deliveries of an enabled endpoint.
    async fn claim(
        &self,
        endpoint_id: &str,
        room: usize,
        now: i64,
    ) -> Result<Option<(webhook_endpoint::Model, Vec<webhook_delivery::Model>)>> {
        let txn = begin_write(&self.db).await?;
        let Some(endpoint) = webhook_endpoint::Entity::find_by_id(endpoint_id)
            .filter(webhook_endpoint::Column::Status.eq(EndpointStatus::Enabled))
            .one(&txn)
            .await?
        else {
            txn.commit().await?;
            return Ok(None);
        };
        let mut select = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
            .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .order_by_asc(webhook_delivery::Column::Id)
            .limit(room as u64);
        if self.db.get_database_backend() != DatabaseBackend::Sqlite {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let lease_until = now + LEASE.as_micros() as i64;
        let mut claimed = Vec::new();
        for mut delivery in select.all(&txn).await? {
            let taken = webhook_delivery::Entity::update_many()
                .col_expr(
                    webhook_delivery::Column::Attempts,
                    Expr::value(delivery.attempts + 1),
                )
                .col_expr(
                    webhook_delivery::Column::NextAttemptAt,
                    Expr::value(lease_until),
                )
                .filter(webhook_delivery::Column::Id.eq(delivery.id.as_str()))
                .filter(webhook_delivery::Column::Attempts.eq(delivery.attempts))
                .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
                .exec(&txn)
                .await?;
            if taken.rows_affected == 1 {
                delivery.attempts += 1;
                claimed.push(delivery);
            }
        }
        txn.commit().await?;
        Ok(Some((endpoint, claimed)))
    }

    /// One attempt, then its record.
    async fn attempt(&self, endpoint: &webhook_endpoint::Model, delivery: webhook_delivery::Model) {
        let attempted_at = ids::now_micros();
        let clock = Instant::now();
        let answer = self.post(endpoint, &delivery).await;
        let duration = clock.elapsed();
        let outcome = match self
            .record(endpoint, &delivery, &answer, attempted_at, duration)
            .await
        {
            Ok(outcome) => outcome,
            Err(err) => {
                // The lease lapses and the delivery is attempted again.
                tracing::warn!(error = %err, delivery = %delivery.id, "cannot record a webhook attempt");
                return;
            }
        };
        metrics::counter!("customerd_webhook_deliveries_total", "outcome" => outcome).increment(1);
        tracing::debug!(
            endpoint = %endpoint.id,
            event = %delivery.event_id,
            attempt = delivery.attempts,
            outcome,
            "webhook attempt"
        );
    }

    async fn post(
        &self,
        endpoint: &webhook_endpoint::Model,
        delivery: &webhook_delivery::Model,
    ) -> Answer {
        // Left pending while its endpoint was disabled, past the age retries
        // stop at: given up unsent.
        let age = ids::now_micros() - delivery.created_at;
        if age > self.settings.max_age.as_micros() as i64 {
            return Answer::Abandoned("older than --webhook-max-age".into());
        }
        let tenant = Tenant {
            account_id: endpoint.account_id.clone(),
            live: endpoint.live,
        };
        let event = match log::get(&self.db, &tenant, &delivery.event_id).await {
            Ok(event) => event,
            Err(Error::NotFound { .. }) => {
                return Answer::Abandoned("the event is no longer kept".into());
            }
            Err(err) => return Answer::Failed(format!("cannot read the event: {err}")),
        };
        let Some(body) = customerd_gateway::webhook_body(&endpoint.format, &event) else {
            return Answer::Abandoned(format!("unknown format '{}'", endpoint.format));
        };
        let signing = match secret::read(
            self.settings.key.as_ref(),
            &endpoint.id,
            &endpoint.secret,
            endpoint.sealed,
        ) {
            Ok(signing) => signing,
            Err(err) => return Answer::Failed(err.to_string()),
        };
        let url = match address::parse(&endpoint.url) {
            Ok(url) => url,
            Err(err) => return Answer::Abandoned(format!("url {err}")),
        };
        // Names are checked by the client's resolver as they are resolved;
        // an address written in the URL is checked here.
        if url
            .host()
            .is_some_and(|h| !matches!(h, url::Host::Domain(_)))
            && let Err(err) = address::check(&url, self.settings.allow_private).await
        {
            return Answer::Failed(err.to_string());
        }
        let signature = secret::signature(&signing, ids::now_micros() / 1_000_000, &body);
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send();
        let read = async {
            let mut response = sent.await?;
            let status = response.status().as_u16();
            let mut read = 0;
            while read < BODY_CAP {
                match response.chunk().await? {
                    Some(chunk) => read += chunk.len(),
                    None => break,
                }
            }
            Ok::<u16, reqwest::Error>(status)
        };
        match tokio::time::timeout(ATTEMPT_TIMEOUT, read).await {
            Ok(Ok(status)) => Answer::Status(status),
            Ok(Err(err)) if err.is_timeout() => {
                Answer::Failed(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()))
            }
            Ok(Err(err)) => Answer::Failed(describe(&err)),
            Err(_) => Answer::Failed(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())),
        }
    }

    /// Records the attempt and what follows it, if the delivery is still
    /// this claim's; returns the metric's outcome.
    async fn record(
        &self,
        endpoint: &webhook_endpoint::Model,
        delivery: &webhook_delivery::Model,
        answer: &Answer,
        attempted_at: i64,
        duration: Duration,
    ) -> Result<&'static str> {
        let now = ids::now_micros();
        let (status_code, error, delivered, retry) = match answer {
            Answer::Status(code) if (200..300).contains(code) => {
                (Some(i32::from(*code)), None, true, false)
            }
            Answer::Status(code) => (
                Some(i32::from(*code)),
                Some(format!("the receiver answered {code}")),
                false,
                true,
            ),
            Answer::Failed(why) => (None, Some(why.clone()), false, true),
            Answer::Abandoned(why) => (None, Some(why.clone()), false, false),
        };
        let next_retry = retry
            .then(|| now + backoff(self.settings.retry_base, delivery.attempts).as_micros() as i64)
            .filter(|at| at - delivery.created_at <= self.settings.max_age.as_micros() as i64);
        let (state, outcome) = match (delivered, next_retry) {
            (true, _) => (DeliveryState::Delivered, "delivered"),
            (false, Some(_)) => (DeliveryState::Pending, "retrying"),
            (false, None) => (DeliveryState::Failed, "failed"),
        };
        let txn = begin_write(&self.db).await?;
        let updated = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::State, Expr::value(state))
            .col_expr(
                webhook_delivery::Column::NextAttemptAt,
                Expr::value(next_retry.unwrap_or(now)),
            )
            .filter(webhook_delivery::Column::Id.eq(delivery.id.as_str()))
            .filter(webhook_delivery::Column::Attempts.eq(delivery.attempts))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0
            && webhook_delivery::Entity::find_by_id(delivery.id.as_str())
                .one(&txn)
                .await?
                .is_none()
        {
            // The endpoint was deleted meanwhile: nothing to keep.
            txn.commit().await?;
            return Ok(outcome);
        }
        webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
            id: Set(ids::time_ordered("wha_")),
            account_id: Set(endpoint.account_id.clone()),
            live: Set(endpoint.live),
            endpoint_id: Set(endpoint.id.clone()),
            event_id: Set(delivery.event_id.clone()),
            event_type: Set(delivery.event_type.clone()),
            attempt: Set(delivery.attempts),
            status_code: Set(status_code),
            error: Set(error),
            delivered: Set(delivered),
            created_at: Set(attempted_at),
            duration_ms: Set(duration.as_millis().min(i64::MAX as u128) as i64),
            next_retry_at: Set(next_retry),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Deliveries not yet delivered or given up.
    async fn backlog(&self) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        Ok(webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
            .count(&self.db)
            .await?)
    }
}

/// The delay after failed attempt `attempt` (from 1): `base` doubled per
/// attempt, at most six hours, less up to a quarter at random so that
/// deliveries failed together spread out, yet each gap stays longer than the
/// one before.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let full = base.saturating_mul(1 << doublings).min(MAX_DELAY);
    let mut random = [0u8; 2];
    getrandom::fill(&mut random).expect("operating system random source is unavailable");
    let fraction = f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX);
    full.mul_f64(1.0 - 0.25 * fraction)
}

/// A client error with its causes, which name a refused address or a
/// connection failure; never a header (the signature stays out of it).
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_connect() {
        "cannot connect".to_owned()
    } else if err.is_request() {
        "the request failed".to_owned()
    } else {
        "the answer could not be read".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gap_is_longer_than_the_last() {
        let base = Duration::from_secs(30);
        let mut previous = Duration::ZERO;
        for attempt in 1..=10 {
            let delay = backoff(base, attempt);
            assert!(
                delay > previous,
                "attempt {attempt}: {delay:?} after {previous:?}"
            );
            previous = base.saturating_mul(1 << (attempt - 1)).min(MAX_DELAY);
        }
        assert!(backoff(base, 1) <= base && backoff(base, 1) >= base.mul_f64(0.75));
        assert!(backoff(base, 100) <= MAX_DELAY);
    }
}
