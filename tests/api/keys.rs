//! Keys over their life: listed, revoked and rolled from the command line and
//! refused by a running server within its cache time; lookups batched.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use customerd::auth::KeyCache;
use customerd::db::entities::api_key;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use sea_orm::EntityTrait;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{Backend, authed, fresh_database};
use crate::process::{ServerProcess, run, run_ok};

async fn client(server: &ServerProcess) -> CustomerServiceClient<Channel> {
    CustomerServiceClient::connect(server.grpc_url())
        .await
        .expect("connect")
}

/// The code and message a list call with `key` gets.
async fn list_with(client: &mut CustomerServiceClient<Channel>, key: &str) -> (Code, String) {
    match client
        .list_customers(authed(key, pb::ListCustomersRequest::default()))
        .await
    {
        Ok(_) => (Code::Ok, String::new()),
        Err(status) => (status.code(), status.message().to_owned()),
    }
}

/// Waits (polling, up to `within`) until `key` is refused; how long it took.
async fn refused_after(
    client: &mut CustomerServiceClient<Channel>,
    key: &str,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        let (code, message) = list_with(client, key).await;
        if code != Code::Ok {
            assert_eq!(code, Code::Unauthenticated);
            assert_eq!(
                message, "invalid API key",
                "the same answer as an unknown key"
            );
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{key} still works after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn key_lines(url: &str, args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["keys", "list"];
    all.extend_from_slice(args);
    run_ok(url, &all)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn keys_are_listed_with_their_status_and_stored_only_as_hashes() {
    let url = fresh_database(Backend::Sqlite).await;
    let acme = run_ok(&url, &["keys", "create", "--account", "acme"]);
    let globex = run_ok(&url, &["keys", "create", "--live", "--account", "globex"]);
    let (acme, globex) = (acme.trim(), globex.trim());

    let lines = key_lines(&url, &[]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, secret, account, mode) in [
        (&lines[0], acme, "acme", "test"),
        (&lines[1], globex, "globex", "live"),
    ] {
        assert_eq!(line.len(), 7, "{line:?}");
        assert!(line[0].starts_with("key_"), "{line:?}");
        assert_eq!(line[1], account);
        assert_eq!(line[2], mode);
        assert_eq!(line[3], secret[..12]);
        assert!(line[4].ends_with('Z') && line[4].contains('T'), "{line:?}");
        assert_eq!(line[5], "never");
        assert_eq!(line[6], "active");
    }
    let listing = run_ok(&url, &["keys", "list"]);
    assert!(!listing.contains(acme) && !listing.contains(globex));
    assert_eq!(key_lines(&url, &["--account", "globex"]).len(), 1);
    assert!(key_lines(&url, &["--account", "nobody"]).is_empty());

    let db = customerd::db::connect(&url, None).await.unwrap();
    for row in api_key::Entity::find().all(&db).await.unwrap() {
        let stored = format!("{row:?}");
        assert!(
            !stored.contains(acme) && !stored.contains(globex),
            "{stored}"
        );
        assert_eq!(row.key_hash.len(), 64);
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_within_the_cache_time() {
    let url = fresh_database(Backend::Sqlite).await;
    let by_secret = run_ok(&url, &["keys", "create"]).trim().to_owned();
    let by_id = run_ok(&url, &["keys", "create"]).trim().to_owned();
    let server = ServerProcess::start(&url, &["--key-cache-ttl", "300ms"]).await;
    let mut client = client(&server).await;
    for key in [&by_secret, &by_id] {
        assert_eq!(list_with(&mut client, key).await.0, Code::Ok);
    }

    run_ok(&url, &["keys", "revoke", &by_secret]);
    let took = refused_after(&mut client, &by_secret, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "refused only after {took:?}");

    let id = key_lines(&url, &[])
        .into_iter()
        .find(|l| l[3] == by_id[..12])
        .expect("the second key is listed")[0]
        .clone();
    run_ok(&url, &["keys", "revoke", &id]);
    refused_after(&mut client, &by_id, Duration::from_secs(5)).await;
    let statuses: Vec<String> = key_lines(&url, &[])
        .into_iter()
        .map(|l| l[6].clone())
        .collect();
    assert_eq!(statuses, ["revoked", "revoked"]);

    // Through the gateway as well.
    let reply = reqwest::Client::new()
        .get(format!("http://{}/v1/customers", server.http))
        .bearer_auth(&by_id)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);

    let unknown = run(&url, &["keys", "revoke", "key_000000000000000000000000"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no such API key"),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_rolled_key_keeps_working_until_its_grace_ends() {
    let url = fresh_database(Backend::Sqlite).await;
    let old = run_ok(&url, &["keys", "create", "--account", "acme"])
        .trim()
        .to_owned();
    let server = ServerProcess::start(&url, &["--key-cache-ttl", "100ms"]).await;
    let mut client = client(&server).await;

    let new = run_ok(&url, &["keys", "roll", &old, "--expires-in", "2s"]);
    let new = new.trim();
    assert!(new.starts_with("sk_test_") && new != old, "{new}");
    assert_eq!(list_with(&mut client, new).await.0, Code::Ok);
    assert_eq!(list_with(&mut client, &old).await.0, Code::Ok);
    let took = refused_after(&mut client, &old, Duration::from_secs(10)).await;
    assert!(took > Duration::from_millis(1500), "refused after {took:?}");
    assert_eq!(
        list_with(&mut client, new).await.0,
        Code::Ok,
        "the new key stays"
    );

    let lines = key_lines(&url, &[]);
    let old_line = lines.iter().find(|l| l[3] == old[..12]).unwrap();
    assert_eq!(old_line[6], "expired");
    assert!(old_line[5].ends_with('Z'), "{old_line:?}");
    let new_line = lines.iter().find(|l| l[3] == new[..12]).unwrap();
    assert_eq!(
        (new_line[1].as_str(), new_line[6].as_str()),
        ("acme", "active")
    );

    // A zero grace refuses the old key at once; a revoked key cannot be rolled.
    let newest = run_ok(&url, &["keys", "roll", new, "--expires-in", "0s"]);
    refused_after(&mut client, new, Duration::from_secs(2)).await;
    assert_eq!(list_with(&mut client, newest.trim()).await.0, Code::Ok);
    run_ok(&url, &["keys", "revoke", newest.trim()]);
    let rolled = run(&url, &["keys", "roll", newest.trim()]);
    assert!(!rolled.status.success());
    assert!(String::from_utf8_lossy(&rolled.stderr).contains("revoked"));
    let bad = run(&url, &["keys", "roll", &old, "--expires-in", "soon"]);
    assert!(!bad.status.success());
}

#[tokio::test]
async fn a_flood_of_unknown_keys_costs_few_lookups() {
    let url = fresh_database(Backend::Sqlite).await;
    let mut db = customerd::db::connect(&url, None).await.unwrap();
    customerd::db::migrate(&db).await.unwrap();
    let queries = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&queries);
    db.set_metric_callback(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    let cache = KeyCache::new(db.clone(), Duration::from_secs(60));

    // One unknown key asked for many times: one lookup.
    for _ in 0..500 {
        assert_eq!(cache.tenant("sk_test_unknown").await.unwrap(), None);
    }
    assert_eq!(queries.load(Ordering::SeqCst), 1);

    // Many different unknown keys at once: they share lookups.
    let asked: Vec<_> = (0..2000)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.tenant(&format!("sk_test_flood{i}")).await })
        })
        .collect();
    for lookup in asked {
        assert_eq!(lookup.await.unwrap().unwrap(), None);
    }
    let flood = queries.load(Ordering::SeqCst) - 1;
    assert!(flood <= 2000 / 256 + 40, "{flood} lookups for 2000 keys");

    // Keys that are not secret keys at all cost nothing.
    for _ in 0..100 {
        assert_eq!(cache.tenant("not-a-key").await.unwrap(), None);
    }
    assert_eq!(queries.load(Ordering::SeqCst), flood + 1);
}
