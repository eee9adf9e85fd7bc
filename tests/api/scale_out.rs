//! Three replicas on one fresh PostgreSQL database, started at the same moment,
//! behind HAProxy running the configuration `deploy/haproxy.cfg` ships (its
//! addresses replaced by the replicas'). Clients create over REST and gRPC,
//! update shared customers, and send creates again with the same
//! Idempotency-Key, all through HAProxy, while one replica is killed with
//! SIGKILL and restarted on its ports. Afterwards every acknowledged write is
//! in the database exactly once, every same-key group made one customer, and
//! the only server errors any client saw were HAProxy's own, for the killed
//! replica's connections (a customerd answer always carries `x-request-id`).
//!
//! Needs TEST_POSTGRES_URL and `haproxy` (Debian's package); `.ci/run` runs it.

use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use customerd::db::entities::customer;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::helpers::{Backend, fresh_database, http_client};
use crate::process::{ServerProcess, customerd, spawn_listening, start_together};

const REPLICAS: usize = 3;
const REST_CREATORS: usize = 6;
const GRPC_CREATORS: usize = 2;
const UPDATERS: usize = 4;
const SHARED: usize = 4;
/// The load's length, and when replica 2 is killed and started again.
const LOAD: Duration = Duration::from_secs(12);
const KILL_AT: Duration = Duration::from_secs(3);
const RESTART_AT: Duration = Duration::from_secs(5);
/// How long one write is retried through connection errors before the
/// client gives up on it (it then counts as not acknowledged).
const GIVE_UP: Duration = Duration::from_secs(20);

/// HAProxy in the foreground, stopped when the test lets go of it.
struct HaProxy(Child);

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn haproxy_binary() -> PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("haproxy"));
    for candidate in candidates {
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("haproxy is not installed (Debian: apt-get install haproxy; .ci/run installs it)");
}

/// `deploy/haproxy.cfg` with its listening ports and replica addresses
/// replaced; every replaced text must occur exactly once, so the shipped
/// file and this test cannot drift apart.
fn haproxy_config(grpc_port: u16, rest_port: u16, replicas: &[(SocketAddr, SocketAddr)]) -> String {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg");
    let mut config = std::fs::read_to_string(&shipped).expect("deploy/haproxy.cfg");
    let mut replace = |from: String, to: String| {
        assert_eq!(
            config.matches(&from).count(),
            1,
            "deploy/haproxy.cfg holds {from:?} once"
        );
        config = config.replace(&from, &to);
    };
    replace("bind :50051".into(), format!("bind 127.0.0.1:{grpc_port}"));
    replace("bind :8080".into(), format!("bind 127.0.0.1:{rest_port}"));
    for (i, (grpc, http)) in replicas.iter().enumerate() {
        let host = format!("10.0.0.1{}", i + 1);
        replace(
            format!("{host}:50051 proto h2 check port 8080"),
            format!("{grpc} proto h2 check port {}", http.port()),
        );
        replace(format!("{host}:8080 check"), format!("{http} check"));
    }
    config
}

fn unused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}

/// Starts HAProxy in front of `replicas`; its ports are picked free just
/// before, so a start that lost one to another process is tried again.
async fn start_haproxy(dir: &Path, replicas: &[(SocketAddr, SocketAddr)]) -> (HaProxy, u16, u16) {
    let binary = haproxy_binary();
    for _ in 0..5 {
        let (grpc_port, rest_port) = (unused_port(), unused_port());
        let config = dir.join("haproxy.cfg");
        std::fs::write(&config, haproxy_config(grpc_port, rest_port, replicas)).unwrap();
        let mut proxy = HaProxy(
            Command::new(&binary)
                .arg("-db")
                .arg("-f")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start haproxy"),
        );
        for _ in 0..100 {
            if let Ok(Some(_)) = proxy.0.try_wait() {
                break;
            }
            let up = |port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if up(grpc_port) && up(rest_port) {
                return (proxy, grpc_port, rest_port);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = proxy.0.kill();
    }
    panic!("haproxy did not start");
}

/// The values one updater sent for its metadata key of one customer.
#[derive(Clone, Copy, Default)]
struct Written {
    /// The last value whose update was answered.
    acknowledged: Option<u64>,
    /// The last value sent, answered or not.
    attempted: u64,
}

/// What the clients saw, shared by all of them.
#[derive(Default)]
struct Seen {
    /// Customers whose create was acknowledged: email -> id.
    created: Mutex<HashMap<String, String>>,
    /// Creates given up on (never acknowledged): their emails.
    abandoned: Mutex<Vec<String>>,
    /// Per (shared customer, updater): what the updater wrote to its key.
    updates: Mutex<HashMap<(usize, usize), Written>>,
    /// Server errors that came from customerd itself, and other wrong answers.
    violations: Mutex<Vec<String>>,
    requests: AtomicU64,
    acknowledged: AtomicU64,
    /// HAProxy's own 5xx answers (no `x-request-id`) and broken connections.
    proxy_errors: AtomicU64,
    connection_errors: AtomicU64,
    /// Same-key requests answered with the first request's customer.
    replays: AtomicU64,
    updated: AtomicU64,
}

impl Seen {
    fn violation(&self, what: String) {
        self.violations.lock().unwrap().push(what);
    }
}

/// One answer, as a client must treat it.
enum Answer {
    Done(Value),
    /// A connection error or HAProxy's 5xx (the request may or may not have
    /// reached a replica), or an idempotent request still in progress.
    Retry,
    Wrong(String),
}

async fn rest_call(seen: &Seen, request: reqwest::RequestBuilder) -> Answer {
    seen.requests.fetch_add(1, Ordering::Relaxed);
    let response = match request.send().await {
        Ok(response) => response,
        Err(_) => {
            seen.connection_errors.fetch_add(1, Ordering::Relaxed);
            return Answer::Retry;
        }
    };
    let status = response.status();
    let from_customerd = response.headers().contains_key("x-request-id");
    let text = match response.text().await {
        Ok(text) => text,
        Err(_) => {
            seen.connection_errors.fetch_add(1, Ordering::Relaxed);
            return Answer::Retry;
        }
    };
    if status.is_success() {
        return match serde_json::from_str(&text) {
            Ok(body) => Answer::Done(body),
            Err(e) => Answer::Wrong(format!(
                "{status} with a body that is not JSON ({e}): {text}"
            )),
        };
    }
    if status.is_server_error() && !from_customerd {
        seen.proxy_errors.fetch_add(1, Ordering::Relaxed);
        return Answer::Retry;
    }
    if status == StatusCode::CONFLICT && text.contains("in progress") {
        return Answer::Retry;
    }
    Answer::Wrong(format!("{status}: {text}"))
}

/// Sends what `make` builds until it is answered, or gives up.
async fn rest_until_done(
    seen: &Seen,
    what: &str,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Option<Value> {
    let began = Instant::now();
    while began.elapsed() < GIVE_UP {
        match rest_call(seen, make()).await {
            Answer::Done(body) => {
                seen.acknowledged.fetch_add(1, Ordering::Relaxed);
                return Some(body);
            }
            Answer::Retry => tokio::time::sleep(Duration::from_millis(50)).await,
            Answer::Wrong(answer) => {
                seen.violation(format!("{what}: {answer}"));
                return None;
            }
        }
    }
    None
}

struct Proxy {
    rest: String,
    grpc: Channel,
    /// The gRPC port's base URL, for grpc-web over HTTP/1.1.
    grpc_url: String,
    key: String,
}

impl Proxy {
    /// Starts HAProxy in front of `replicas`, to be called with `key`.
    async fn start(dir: &Path, replicas: &[ServerProcess], key: &str) -> (HaProxy, Self) {
        let addresses: Vec<(SocketAddr, SocketAddr)> =
            replicas.iter().map(|r| (r.grpc, r.http)).collect();
        let (haproxy, grpc_port, rest_port) = start_haproxy(dir, &addresses).await;
        let grpc_url = format!("http://127.0.0.1:{grpc_port}");
        let proxy = Self {
            rest: format!("http://127.0.0.1:{rest_port}"),
            grpc: tonic::transport::Endpoint::from_shared(grpc_url.clone())
                .unwrap()
                .connect_lazy(),
            grpc_url,
            key: key.to_owned(),
        };
        (haproxy, proxy)
    }

    fn post(
        &self,
        path: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = http_client()
            .post(format!("{}{path}", self.rest))
            .bearer_auth(&self.key)
            .json(body);
        match idempotency_key {
            Some(key) => request.header("Idempotency-Key", key),
            None => request,
        }
    }
}

/// Creates customers over REST, each with its own Idempotency-Key; every
/// third is sent again with the same key, every fifth twice at once.
async fn rest_creator(proxy: Arc<Proxy>, seen: Arc<Seen>, worker: usize, stop: Arc<AtomicBool>) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let email = format!("rest-{worker}-{n}@scale.test");
        let key = format!("scale-rest-{worker}-{n}");
        let body = json!({"email": email, "name": "Scale Out", "metadata": {"worker": worker.to_string()}});
        let send = || proxy.post("/v1/customers", &body, Some(&key));
        let first = if n % 5 == 0 {
            let (a, b) = tokio::join!(
                rest_until_done(&seen, &email, send),
                rest_until_done(&seen, &email, send)
            );
            same_customer(&seen, &email, a, b)
        } else {
            rest_until_done(&seen, &email, send).await
        };
        match first.as_ref().and_then(|body| body["id"].as_str()) {
            Some(id) => {
                seen.created
                    .lock()
                    .unwrap()
                    .insert(email.clone(), id.to_owned());
                if n % 3 == 0 {
                    let again = rest_until_done(&seen, &email, send).await;
                    same_customer(&seen, &email, first.clone(), again);
                }
            }
            None => seen.abandoned.lock().unwrap().push(email),
        }
        n += 1;
    }
}

/// Two answers of one same-key group must name one customer.
fn same_customer(seen: &Seen, email: &str, a: Option<Value>, b: Option<Value>) -> Option<Value> {
    match (a, b) {
        (Some(a), Some(b)) => {
            if a["id"] == b["id"] {
                seen.replays.fetch_add(1, Ordering::Relaxed);
            } else {
                seen.violation(format!("{email}: one key, two customers: {a} / {b}"));
            }
            Some(a)
        }
        (a, b) => a.or(b),
    }
}

/// Creates customers over gRPC through HAProxy's gRPC port, each with its own
/// idempotency key, retried through connection errors.
async fn grpc_creator(proxy: Arc<Proxy>, seen: Arc<Seen>, worker: usize, stop: Arc<AtomicBool>) {
    let mut client = CustomerServiceClient::new(proxy.grpc.clone());
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let email = format!("grpc-{worker}-{n}@scale.test");
        let began = Instant::now();
        let mut id = None;
        while id.is_none() && began.elapsed() < GIVE_UP {
            let mut request = tonic::Request::new(pb::CreateCustomerRequest {
                email: Some(email.clone()),
                name: Some("Scale Out".into()),
                ..Default::default()
            });
            let metadata = request.metadata_mut();
            metadata.insert(
                "authorization",
                format!("Bearer {}", proxy.key).parse().unwrap(),
            );
            metadata.insert(
                "idempotency-key",
                format!("scale-grpc-{worker}-{n}").parse().unwrap(),
            );
            seen.requests.fetch_add(1, Ordering::Relaxed);
            match client.create_customer(request).await {
                Ok(reply) => {
                    seen.acknowledged.fetch_add(1, Ordering::Relaxed);
                    id = reply.into_inner().customer.map(|c| c.id);
                    if id.is_none() {
                        seen.violation(format!("{email}: a create answered without its customer"));
                        break;
                    }
                }
                // Not from customerd (no request id): HAProxy or the connection.
                Err(status) if !status.metadata().contains_key("x-request-id") => {
                    seen.proxy_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) if status.code() == tonic::Code::Aborted => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) => {
                    seen.violation(format!("{email}: {status:?}"));
                    break;
                }
            }
        }
        match id {
            Some(id) => {
                seen.created.lock().unwrap().insert(email, id);
            }
            None => seen.abandoned.lock().unwrap().push(email),
        }
        n += 1;
    }
}

/// Sets its own metadata key on the shared customers in turn, counting up.
async fn updater(
    proxy: Arc<Proxy>,
    seen: Arc<Seen>,
    worker: usize,
    shared: Arc<Vec<String>>,
    stop: Arc<AtomicBool>,
) {
    let mut n: u64 = 1;
    while !stop.load(Ordering::Relaxed) {
        let target = n as usize % shared.len();
        seen.updates
            .lock()
            .unwrap()
            .entry((target, worker))
            .or_default()
            .attempted = n;
        let body = json!({"metadata": {format!("u{worker}"): n.to_string()}});
        let path = format!("/v1/customers/{}", shared[target]);
        if let Some(reply) = rest_until_done(&seen, &path, || proxy.post(&path, &body, None)).await
        {
            let echoed = &reply["metadata"][format!("u{worker}")];
            if echoed != &json!(n.to_string()) {
                seen.violation(format!("{path}: update {n} answered {reply}"));
            }
            seen.updates
                .lock()
                .unwrap()
                .get_mut(&(target, worker))
                .unwrap()
                .acknowledged = Some(n);
            seen.updated.fetch_add(1, Ordering::Relaxed);
        }
        n += 1;
    }
}

/// A browser's grpc-web call (HTTP/1.1) on HAProxy's gRPC port reaches a
/// replica, which HAProxy speaks HTTP/2 to.
async fn grpc_web_through(base: &str, key: &str) {
    let reply = http_client()
        .post(format!("{base}/customers.v1.CustomerService/ListCustomers"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .bearer_auth(key)
        // One empty ListCustomersRequest: no compression, length 0.
        .body(vec![0u8; 5])
        .send()
        .await
        .expect("HAProxy answers grpc-web");
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["content-type"],
        "application/grpc-web+proto"
    );
    let body = reply.bytes().await.unwrap();
    let trailers = String::from_utf8_lossy(&body).to_ascii_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
}

/// How many calls of the CustomerService (gRPC or REST) a replica counted.
async fn customer_calls(http: SocketAddr) -> f64 {
    let text = http_client()
        .get(format!("http://{http}/metrics"))
        .send()
        .await
        .expect("metrics answer")
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| line.starts_with("customerd_requests_total{") && line.contains("ustomer"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The customers every updater writes to, created through HAProxy.
async fn create_shared(proxy: &Proxy, seen: &Seen) -> Arc<Vec<String>> {
    let mut shared = Vec::new();
    for i in 0..SHARED {
        let body = json!({"email": format!("shared-{i}@scale.test")});
        let created = rest_until_done(seen, "shared", || proxy.post("/v1/customers", &body, None))
            .await
            .expect("a shared customer is created");
        shared.push(created["id"].as_str().unwrap().to_owned());
    }
    Arc::new(shared)
}

/// Every client of the load, running until `stop`.
fn start_clients(
    proxy: &Arc<Proxy>,
    seen: &Arc<Seen>,
    shared: &Arc<Vec<String>>,
    stop: &Arc<AtomicBool>,
) -> Vec<JoinHandle<()>> {
    let mut clients = Vec::new();
    for w in 0..REST_CREATORS {
        let creating = rest_creator(proxy.clone(), seen.clone(), w, stop.clone());
        clients.push(tokio::spawn(creating));
    }
    for w in 0..GRPC_CREATORS {
        let creating = grpc_creator(proxy.clone(), seen.clone(), w, stop.clone());
        clients.push(tokio::spawn(creating));
    }
    for w in 0..UPDATERS {
        let updating = updater(proxy.clone(), seen.clone(), w, shared.clone(), stop.clone());
        clients.push(tokio::spawn(updating));
    }
    clients
}

/// Kills `victim` with SIGKILL, and after [`RESTART_AT`] less [`KILL_AT`]
/// starts it again on its ports, which HAProxy's configuration names.
/// Returns how many writes were acknowledged when it was killed.
async fn kill_and_restart(victim: &mut ServerProcess, url: &str, seen: &Seen) -> u64 {
    let (grpc, http) = (victim.grpc, victim.http);
    victim.kill();
    let at_kill = seen.acknowledged.load(Ordering::Relaxed);
    // A time wait: the replica stays down for the schedule's gap.
    tokio::time::sleep(RESTART_AT - KILL_AT).await;
    let mut restart = customerd();
    restart.args(["serve", "--database-url", url]).args([
        "--grpc-addr",
        &grpc.to_string(),
        "--http-addr",
        &http.to_string(),
    ]);
    let (child, _) = spawn_listening(restart).await;
    *victim = ServerProcess {
        child,
        grpc,
        http,
        first_key: None,
    };
    at_kill
}

/// What the database holds against what was acknowledged (email -> id):
/// one customer per create, and the acknowledged one.
async fn stored_problems(url: &str, created: &HashMap<String, String>) -> Vec<String> {
    let db = customerd::db::connect(url, None).await.unwrap();
    let stored = customer::Entity::find()
        .filter(customer::Column::Email.like("%@scale.test"))
        .all(&db)
        .await
        .unwrap();
    db.close().await.ok();
    let mut by_email: BTreeMap<String, Vec<&customer::Model>> = BTreeMap::new();
    for row in &stored {
        by_email
            .entry(row.email.clone().unwrap_or_default())
            .or_default()
            .push(row);
    }
    let mut problems = Vec::new();
    for (email, rows) in &by_email {
        if rows.len() > 1 {
            problems.push(format!("{email}: {} customers for one create", rows.len()));
        }
    }
    for (email, id) in created {
        match by_email.get(email).map(Vec::as_slice) {
            Some([row]) if &row.id == id => {}
            other => problems.push(format!(
                "{email}: acknowledged as {id}, stored as {:?}",
                other.map(|rows| rows.iter().map(|r| &r.id).collect::<Vec<_>>())
            )),
        }
    }
    problems
}

/// The shared customers as a client of the replica at `http` reads them
/// now, against what each updater wrote to its key.
async fn update_problems(
    http: SocketAddr,
    key: &str,
    shared: &[String],
    seen: &Seen,
) -> Vec<String> {
    let mut metadata = Vec::new();
    for id in shared {
        let reply = http_client()
            .get(format!("http://{http}/v1/customers/{id}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        let body: Value = reply.json().await.unwrap();
        metadata.push(body["metadata"].clone());
    }
    let updates = seen.updates.lock().unwrap().clone();
    let mut problems = Vec::new();
    for ((target, worker), written) in &updates {
        let (acked, attempted) = (&written.acknowledged, &written.attempted);
        let value = metadata[*target][format!("u{worker}")]
            .as_str()
            .and_then(|v| v.parse::<u64>().ok());
        let fine = match (acked, value) {
            // The last write that took effect: the acknowledged one, or a
            // later one whose answer was lost with the killed replica.
            (Some(acked), Some(value)) => *acked <= value && value <= *attempted,
            (None, value) => value.is_none_or(|v| v <= *attempted),
            (Some(_), None) => false,
        };
        if !fine {
            problems.push(format!(
                "customer {target}, key u{worker}: acknowledged {acked:?}, attempted {attempted}, stored {value:?}"
            ));
        }
    }
    problems
}

/// What the load did, for the log.
fn report(seen: &Seen, at_kill: u64, elapsed: Duration, restarted_calls: f64) {
    let count = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let created = seen.created.lock().unwrap();
    let over_grpc = created.keys().filter(|e| e.starts_with("grpc-")).count();
    eprintln!(
        "scale-out: {REPLICAS} replicas behind HAProxy, replica 2 killed at {:.1} s and restarted at {:.1} s, {:.1} s of load\n\
         scale-out: {} requests, {} acknowledged ({} before the kill), {} creates acknowledged \
         ({} over gRPC), {} abandoned, {} same-key replays agreed, {} updates acknowledged\n\
         scale-out: clients saw {} HAProxy 5xx answers and {} broken connections; the restarted replica served {} calls",
        KILL_AT.as_secs_f64(),
        RESTART_AT.as_secs_f64(),
        elapsed.as_secs_f64(),
        count(&seen.requests),
        count(&seen.acknowledged),
        at_kill,
        created.len(),
        over_grpc,
        seen.abandoned.lock().unwrap().len(),
        count(&seen.replays),
        count(&seen.updated),
        count(&seen.proxy_errors),
        count(&seen.connection_errors),
        restarted_calls,
    );
}

#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL and haproxy; run by .ci/run"]
async fn replicas_behind_haproxy_lose_no_write_when_one_is_killed() {
    let url = fresh_database(Backend::Postgres).await;
    let mut replicas = start_together(&url, REPLICAS).await;
    let keys: Vec<String> = replicas
        .iter()
        .filter_map(|r| r.first_key.clone())
        .collect();
    assert_eq!(keys.len(), 1, "one replica printed the first key");
    let dir = std::env::temp_dir().join(format!("customerd_t_haproxy_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_haproxy, proxy) = Proxy::start(&dir, &replicas, &keys[0]).await;
    let proxy = Arc::new(proxy);
    let seen = Arc::new(Seen::default());
    let shared = create_shared(&proxy, &seen).await;
    grpc_web_through(&proxy.grpc_url, &keys[0]).await;

    let stop = Arc::new(AtomicBool::new(false));
    let clients = start_clients(&proxy, &seen, &shared, &stop);
    let began = Instant::now();
    // Time waits, as the schedule is what is tested: load for KILL_AT, kill
    // a replica (restarted at RESTART_AT), and load on until LOAD.
    tokio::time::sleep(KILL_AT).await;
    let at_kill = kill_and_restart(&mut replicas[1], &url, &seen).await;
    tokio::time::sleep(LOAD.saturating_sub(began.elapsed())).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("a client finished");
    }
    let elapsed = began.elapsed();
    let restarted_calls = customer_calls(replicas[1].http).await;

    let created = seen.created.lock().unwrap().clone();
    let abandoned = seen.abandoned.lock().unwrap().clone();
    let mut problems = seen.violations.lock().unwrap().clone();
    problems.extend(stored_problems(&url, &created).await);
    problems.extend(update_problems(replicas[0].http, &keys[0], &shared, &seen).await);
    report(&seen, at_kill, elapsed, restarted_calls);
    let count = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let over_grpc = created.keys().filter(|e| e.starts_with("grpc-")).count();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        created.len() > 100,
        "the load ran: {} creates",
        created.len()
    );
    assert!(count(&seen.replays) > 10, "same-key groups were sent");
    assert!(
        over_grpc > 10,
        "gRPC creates went through HAProxy: {over_grpc}"
    );
    let updated = count(&seen.updated);
    assert!(updated > 100, "updates ran: {updated}");
    assert!(abandoned.is_empty(), "creates given up on: {abandoned:?}");
    assert!(
        restarted_calls > 0.0,
        "HAProxy sent calls to the restarted replica"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
