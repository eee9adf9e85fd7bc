//! Live delivery: one process-wide hub fans committed events out to the
//! watchers of each (account, mode) stream.
//!
//! A stream with watchers has one feeder task, which reads each new event from
//! the database once and broadcasts it; watchers take what they need from the
//! broadcast. The feeder wakes when a commit moves the stream's head: commits
//! of this process tell the hub directly, commits of other servers arrive by
//! PostgreSQL `LISTEN`, and every backend is also polled (a few times a second
//! on SQLite and MySQL/MariaDB, every couple of seconds on PostgreSQL as a
//! safety net), one query for all watched streams.
//!
//! A watcher never relies on the broadcast alone: stream numbers have no gaps,
//! so when it sees a number jump, or falls too far behind the broadcast, it
//! reads what it missed from the database. It first reads from the database
//! everything after its starting point (backfill) while already subscribed to
//! the broadcast, so nothing falls between the two, and skips numbers it has
//! already delivered.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tonic::Status;

use super::Types;
use super::log::{self, Head};
use crate::auth::Tenant;
use crate::proto::customers::v1 as pb;

/// Events read from the database at a time.
const PAGE: u64 = 256;
/// Events a stream's broadcast holds for watchers that are behind; one
/// further behind reads what it missed from the database instead.
const BROADCAST: usize = 1024;
/// Events a watcher's client may leave unread before the watcher waits.
pub const WATCH_BUFFER: usize = 256;
/// How long a watcher waits for its client to make room before it is ended.
pub const SLOW_READER_GRACE: Duration = Duration::from_secs(5);
/// How long a watch stays silent before it sends a reply without an event,
/// so that proxies that end idle streams (HAProxy's `timeout server`) keep it.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// How often a server announces its commits to the others on PostgreSQL at
/// most; a commit after a quiet spell is announced at once.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(5);

type Key = (String, bool);

struct Stream {
    /// The newest stream number known to be committed.
    head: watch::Sender<i64>,
    events: broadcast::Sender<Arc<pb::Event>>,
}

struct Inner {
    db: DatabaseConnection,
    streams: Mutex<HashMap<Key, Arc<Stream>>>,
    /// True once the server stops: watchers end.
    stopping: watch::Sender<bool>,
    /// Moves on whenever a commit of any stream becomes known.
    commits: watch::Sender<u64>,
    /// On PostgreSQL: this server's new heads, for the other servers.
    announcements: Option<mpsc::UnboundedSender<Head>>,
}

/// The hub; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// A hub for `db`, with its poller and (on PostgreSQL) its listener running.
    pub fn start(db: DatabaseConnection) -> Self {
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        let (announcements, announced) = mpsc::unbounded_channel();
        let hub = Self {
            inner: Arc::new(Inner {
                db: db.clone(),
                streams: Mutex::new(HashMap::new()),
                stopping: watch::channel(false).0,
                commits: watch::channel(0).0,
                announcements: postgres.then_some(announcements),
            }),
        };
        let poll = match db.get_database_backend() {
            DatabaseBackend::Postgres => Duration::from_secs(2),
            _ => Duration::from_millis(200),
        };
        tokio::spawn(poller(Arc::downgrade(&hub.inner), poll));
        if postgres {
            tokio::spawn(announcer(Arc::downgrade(&hub.inner), announced));
            tokio::spawn(listener(Arc::downgrade(&hub.inner), db, hub.stopping()));
        }
        hub
    }

    /// Ends every watcher, now and from now on, with UNAVAILABLE: the server
    /// is stopping, and a watch would keep it from draining.
    pub fn stop(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// True once [`stop`](Self::stop) was called.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    /// Changes whenever a commit of any stream becomes known to this process
    /// (its own, or announced by another server on PostgreSQL).
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.inner.commits.subscribe()
    }

    /// Tells the watchers of these streams that their heads moved, after
    /// this server committed; on PostgreSQL the other servers are told too.
    pub fn committed(&self, heads: &[Head]) {
        self.inner.committed(heads);
        if let Some(announcements) = &self.inner.announcements {
            for head in heads {
                // Fails only once the announcer is gone with the hub.
                let _ = announcements.send(head.clone());
            }
        }
    }

    /// Starts a watcher of `tenant`'s stream after number `position`: what
    /// its client receives, ended by a status if the watcher has to stop.
    pub async fn watch(&self, tenant: Tenant, position: i64, types: Types) -> Watch {
        let events_feed = self.inner.subscribe(&tenant).await;
        let (sender, events) = mpsc::channel(WATCH_BUFFER);
        let (end, ended) = oneshot::channel();
        let watcher = Watcher {
            stopping: self.inner.stopping.subscribe(),
            db: self.inner.db.clone(),
            tenant,
            types,
            position,
            sender,
        };
        tokio::spawn(async move {
            if let Err(status) = watcher.run(events_feed).await {
                let _ = end.send(status);
            }
        });
        metrics::gauge!("customerd_event_watchers").increment(1.0);
        Watch {
            events,
            ended: Some(ended),
            heartbeat: Box::pin(tokio::time::sleep(HEARTBEAT)),
        }
    }

    /// The newest number of `tenant`'s stream.
    pub async fn head(&self, tenant: &Tenant) -> crate::error::Result<i64> {
        log::head(&self.inner.db, tenant).await
    }
}

impl Inner {
    fn committed(&self, heads: &[Head]) {
        if !heads.is_empty() {
            self.commits.send_modify(|n| *n = n.wrapping_add(1));
        }
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        for head in heads {
            if let Some(stream) = streams.get(&(head.account_id.clone(), head.live)) {
                stream.head.send_if_modified(|known| {
                    let moved = head.seq > *known;
                    *known = (*known).max(head.seq);
                    moved
                });
            }
        }
    }

    /// The stream's broadcast and head, started with its feeder if it had no
    /// watcher yet.
    async fn subscribe(self: &Arc<Self>, tenant: &Tenant) -> broadcast::Receiver<Arc<pb::Event>> {
        let key = (tenant.account_id.clone(), tenant.live);
        if let Some(found) = self.existing(&key) {
            return found;
        }
        // Where the feeder starts: a watcher reads from the database whatever
        // was committed before this, after subscribing.
        let start = log::head(&self.db, tenant).await.unwrap_or(0);
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stream) = streams.get(&key) {
            return stream.events.subscribe();
        }
        let stream = Arc::new(Stream {
            head: watch::channel(start).0,
            events: broadcast::channel(BROADCAST).0,
        });
        let subscribed = stream.events.subscribe();
        streams.insert(key.clone(), Arc::clone(&stream));
        tokio::spawn(feed(Arc::clone(self), key, tenant.clone(), stream, start));
        subscribed
    }

    fn existing(&self, key: &Key) -> Option<broadcast::Receiver<Arc<pb::Event>>> {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        Some(streams.get(key)?.events.subscribe())
    }

    fn watched(&self) -> Vec<Key> {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.keys().cloned().collect()
    }
}

/// A stream's feeder: reads each new event once and broadcasts it, until the
/// stream has no watcher left.
async fn feed(hub: Arc<Inner>, key: Key, tenant: Tenant, stream: Arc<Stream>, mut last: i64) {
    let mut head = stream.head.subscribe();
    loop {
        match log::after(&hub.db, &tenant, last, PAGE).await {
            Ok(events) => {
                let full = events.len() as u64 == PAGE;
                for event in events {
                    last = event.sequence;
                    // No receiver: nobody to tell; checked below.
                    let _ = stream.events.send(Arc::new(event));
                }
                if full {
                    continue;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot read new events; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        {
            let mut streams = hub.streams.lock().unwrap_or_else(|e| e.into_inner());
            if stream.events.receiver_count() == 0 {
                if streams.get(&key).is_some_and(|s| Arc::ptr_eq(s, &stream)) {
                    streams.remove(&key);
                }
                return;
            }
        }
        // Until the head passes what was read, checking now and then whether
        // anyone still watches.
        let moved = tokio::time::timeout(Duration::from_secs(5), head.wait_for(|h| *h > last));
        if let Ok(Err(_)) = moved.await {
            return;
        }
    }
}

/// Polls the heads of the watched streams.
async fn poller(hub: std::sync::Weak<Inner>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        let watched = hub.watched();
        if watched.is_empty() {
            continue;
        }
        match log::heads(&hub.db, &watched).await {
            Ok(heads) => hub.committed(&heads),
            Err(err) => tracing::debug!(error = %err, "cannot poll event heads"),
        }
    }
}

/// Announces this server's commits to the others on PostgreSQL: at most one
/// statement per [`ANNOUNCE_EVERY`], each stream's newest head once however
/// many commits moved it meanwhile (every notification wakes every listening
/// server, so one per commit would cost more than the commits). A head lost
/// here (a failed statement, a server killed after a commit) reaches the
/// other servers' watchers by their poll.
async fn announcer(hub: std::sync::Weak<Inner>, mut heads: mpsc::UnboundedReceiver<Head>) {
    while let Some(first) = heads.recv().await {
        let mut newest: HashMap<Key, i64> = HashMap::new();
        let mut keep = |head: Head| {
            let seq = newest
                .entry((head.account_id, head.live))
                .or_insert(head.seq);
            *seq = (*seq).max(head.seq);
        };
        keep(first);
        while let Ok(head) = heads.try_recv() {
            keep(head);
        }
        let Some(hub) = hub.upgrade() else { return };
        let newest: Vec<Head> = newest
            .into_iter()
            .map(|((account_id, live), seq)| Head {
                account_id,
                live,
                seq,
            })
            .collect();
        if let Err(err) = log::announce(&hub.db, &newest).await {
            tracing::debug!(error = %err, "cannot announce event heads");
        }
        drop(hub);
        tokio::time::sleep(ANNOUNCE_EVERY).await;
    }
}

/// Hears the heads other servers announce on PostgreSQL, reconnecting when
/// the connection drops (the poller covers the gap).
async fn listener(
    hub: std::sync::Weak<Inner>,
    db: DatabaseConnection,
    mut stopping: watch::Receiver<bool>,
) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let connected = async {
            let pool = db.get_postgres_connection_pool();
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(log::CHANNEL).await?;
            loop {
                let notification = listener.recv().await?;
                let Some(hub) = hub.upgrade() else {
                    return Ok::<(), sea_orm::sqlx::Error>(());
                };
                if let Some(head) = Head::from_announcement(notification.payload()) {
                    hub.committed(&[head]);
                }
            }
        };
        let outcome = tokio::select! {
            outcome = connected => outcome,
            () = stopped(&mut stopping) => return,
        };
        match outcome {
            Ok(()) => return,
            Err(err) => {
                if hub.upgrade().is_none() || *stopping.borrow() {
                    return;
                }
                tracing::warn!(error = %err, "event announcements interrupted; listening again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Completes once the server stops.
pub async fn stopped(stopping: &mut watch::Receiver<bool>) {
    loop {
        if *stopping.borrow_and_update() {
            return;
        }
        if stopping.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// One watcher: delivers the stream after its position to its client.
struct Watcher {
    stopping: watch::Receiver<bool>,
    db: DatabaseConnection,
    tenant: Tenant,
    types: Types,
    /// The number of the last event delivered (or skipped by type).
    position: i64,
    sender: mpsc::Sender<pb::Event>,
}

/// Why a watcher stopped early.
enum Stop {
    /// The client went away.
    Gone,
    /// The client must be told.
    Status(Status),
}

impl Watcher {
    /// Everything after the position from the database, then the broadcast:
    /// subscribed before the database was read, the broadcast holds every
    /// event the read could miss.
    async fn run(mut self, mut events: broadcast::Receiver<Arc<pb::Event>>) -> Result<(), Status> {
        let mut stopping = self.stopping.clone();
        let outcome = async {
            self.catch_up().await?;
            loop {
                tokio::select! {
                    received = events.recv() => match received {
                        Ok(event) => {
                            if event.sequence <= self.position {
                                continue;
                            }
                            if event.sequence > self.position + 1 {
                                self.catch_up().await?;
                                if event.sequence <= self.position {
                                    continue;
                                }
                            }
                            self.deliver(&event).await?;
                        }
                        // Too far behind the broadcast: from the database.
                        Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up().await?,
                        Err(broadcast::error::RecvError::Closed) => {
                            return Err(Stop::Status(Status::unavailable("the server is stopping")));
                        }
                    },
                    () = self.sender.closed() => return Err(Stop::Gone),
                    () = stopped(&mut stopping) => {
                        return Err(Stop::Status(Status::unavailable(
                            "the server is stopping: watch again with starting_after set to the last event received",
                        )));
                    }
                }
            }
        };
        let result: Result<(), Stop> = outcome.await;
        metrics::gauge!("customerd_event_watchers").decrement(1.0);
        match result {
            Ok(()) | Err(Stop::Gone) => Ok(()),
            Err(Stop::Status(status)) => Err(status),
        }
    }

    /// Delivers from the database everything after the position.
    async fn catch_up(&mut self) -> Result<(), Stop> {
        loop {
            let events = log::after(&self.db, &self.tenant, self.position, PAGE)
                .await
                .map_err(|e| Stop::Status(e.into()))?;
            let full = events.len() as u64 == PAGE;
            for event in &events {
                self.deliver(event).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn deliver(&mut self, event: &pb::Event) -> Result<(), Stop> {
        self.position = event.sequence;
        if !self.types.contains(&event.r#type) {
            return Ok(());
        }
        match tokio::time::timeout(SLOW_READER_GRACE, self.sender.send(event.clone())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::Gone),
            Err(_) => Err(Stop::Status(Status::resource_exhausted(format!(
                "the watcher fell behind: {WATCH_BUFFER} events were left unread for {} s; \
                 watch again with starting_after set to the last event received",
                SLOW_READER_GRACE.as_secs()
            )))),
        }
    }
}

/// What a watcher's client receives: its events (and, after [`HEARTBEAT`]
/// without one, a reply without an event), then the status it was ended
/// with, if any.
pub struct Watch {
    events: mpsc::Receiver<pb::Event>,
    ended: Option<oneshot::Receiver<Status>>,
    heartbeat: Pin<Box<tokio::time::Sleep>>,
}

impl tonic::codegen::tokio_stream::Stream for Watch {
    type Item = Result<pb::WatchEventsResponse, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.events.poll_recv(cx) {
            Poll::Ready(Some(event)) => {
                let next = tokio::time::Instant::now() + HEARTBEAT;
                self.heartbeat.as_mut().reset(next);
                Poll::Ready(Some(Ok(pb::WatchEventsResponse { event: Some(event) })))
            }
            Poll::Pending => {
                if self.heartbeat.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let next = tokio::time::Instant::now() + HEARTBEAT;
                self.heartbeat.as_mut().reset(next);
                Poll::Ready(Some(Ok(pb::WatchEventsResponse { event: None })))
            }
            Poll::Ready(None) => {
                let Some(ended) = self.ended.as_mut() else {
                    return Poll::Ready(None);
                };
                let outcome = Pin::new(ended).poll(cx);
                match outcome {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(status) => {
                        self.ended = None;
                        Poll::Ready(status.ok().map(Err))
                    }
                }
            }
        }
    }
}
