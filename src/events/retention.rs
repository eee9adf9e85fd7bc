//! Retention: events older than `--event-retention` are deleted in small
//! batches, each its own short transaction, so writers never wait long.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::log;

/// Events deleted per statement.
const BATCH: u64 = 500;
/// How often the oldest events are looked for.
const EVERY: Duration = Duration::from_secs(60);

/// Prunes now and then every [`EVERY`], until the server stops.
pub fn start(db: DatabaseConnection, retention: Duration, mut stopping: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stopping.wait_for(|stopping| *stopping) => return,
            }
            if let Err(err) = prune(&db, retention).await {
                tracing::warn!(error = %err, "cannot prune old events; trying again later");
            }
        }
    });
}

/// Deletes every event older than `retention`, a batch at a time; how many.
pub async fn prune(db: &DatabaseConnection, retention: Duration) -> crate::error::Result<u64> {
    let cutoff =
        crate::ids::now_micros() - i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
    let mut total = 0;
    loop {
        let deleted = log::prune(db, cutoff, BATCH).await?;
        total += deleted;
        if deleted < BATCH {
            return Ok(total);
        }
        // Let waiting writers in between batches.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
