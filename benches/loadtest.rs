//! Throughput and latency of the real `customerd` binary against a bare tonic
//! server, on one machine, in one run:
//!
//!     cargo bench --bench loadtest
//!     TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench loadtest
//!
//! Every server (a bare tonic echo server, then `customerd serve` on a fresh
//! SQLite file and, when `TEST_POSTGRES_URL` is set, on a fresh PostgreSQL
//! database) runs as its own process pinned to one core; the load generator
//! below runs on another core, one thread, over real sockets: HTTP/2 for gRPC
//! (one stream at a time per connection, like `h2load -m 1`) and HTTP/1.1
//! keep-alive for REST. Each phase runs `LOADTEST_SECONDS` (default 5) after one
//! second of warm-up that is not counted; any failed call aborts the run.
//!
//! The 4geeks list and a search for a substring of names run over `LOADTEST_ROWS`
//! customers (default 1,000,000) of one
//! (account, mode), seeded directly into the database before the server starts.
//! The ratios the project's performance targets are stated in come last.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use customerd::auth::{self, Mode};
use customerd::db::entities::{account, customer};
use customerd::proto::customers::v1 as pb;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use prost::Message;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tokio::net::TcpStream;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[path = "loadtest/webhooks.rs"]
mod webhooks;

const ECHO_ROLE: &str = "LOADTEST_ECHO_SERVER";
const GRPC_CONCURRENCY: usize = 32;
const CREATE_CONCURRENCY: usize = 64;
const LIST_CONCURRENCY: usize = 1;
/// `--max-concurrent-requests` of the server the shedding phases run against.
const SHED_LIMIT: usize = 16;
/// Event watchers the event phase holds open on one server, and per connection.
const WATCHERS: usize = 1000;
const WATCHERS_PER_CONNECTION: usize = 100;
/// Creates the event phase makes, one at a time, and the pause between them.
const EVENT_WRITES: usize = 200;
const EVENT_PAUSE: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------
// The bare tonic server: one unary method on a message defined here.

/// The echo message: an id-sized string, like a `GetCustomerRequest`.
#[derive(Clone, PartialEq, Message)]
struct Echo {
    #[prost(string, tag = "1")]
    text: String,
}

mod echo_server {
    use std::convert::Infallible;
    use std::future::{Ready, ready};
    use std::task::{Context, Poll};

    use tonic::body::Body;
    use tonic::codegen::{BoxFuture, Service, http};
    use tonic::server::{Grpc, NamedService, UnaryService};
    use tonic_prost::ProstCodec;

    use super::Echo;

    #[derive(Clone, Copy)]
    pub struct EchoService;

    impl NamedService for EchoService {
        const NAME: &'static str = "loadtest.Echo";
    }

    struct Unary;

    impl UnaryService<Echo> for Unary {
        type Response = Echo;
        type Future = Ready<Result<tonic::Response<Echo>, tonic::Status>>;

        fn call(&mut self, request: tonic::Request<Echo>) -> Self::Future {
            ready(Ok(tonic::Response::new(request.into_inner())))
        }
    }

    impl Service<http::Request<Body>> for EchoService {
        type Response = http::Response<Body>;
        type Error = Infallible;
        type Future = BoxFuture<Self::Response, Self::Error>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<Body>) -> Self::Future {
            Box::pin(async move {
                if request.uri().path() == "/loadtest.Echo/Echo" {
                    let mut grpc = Grpc::new(ProstCodec::<Echo, Echo>::default());
                    Ok(grpc.unary(Unary, request).await)
                } else {
                    Ok(tonic::Status::unimplemented("no such method").into_http())
                }
            })
        }
    }
}

/// Runs the echo server in this process (a child of the load generator):
/// a multi-threaded runtime like `customerd`'s, TCP_NODELAY like its listener.
fn serve_echo() -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("Listening: grpc={}", listener.local_addr()?);
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        tonic::transport::Server::builder()
            .add_service(echo_server::EchoService)
            .serve_with_incoming(incoming)
            .await?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Cores and processes.

/// The cores this process may run on.
fn allowed_cores() -> Vec<usize> {
    // SAFETY: `set` is a plain bit set that sched_getaffinity fills in.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return vec![0];
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// Restricts the calling thread (and the threads it starts later) to `core`.
fn pin_to(core: usize) -> std::io::Result<()> {
    // SAFETY: as above; sched_setaffinity only reads the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Where servers and load run: separate cores when there are two or more.
#[derive(Clone, Copy)]
struct Placement {
    server: Option<usize>,
    load: Option<usize>,
}

impl Placement {
    fn detect() -> Self {
        let cores = allowed_cores();
        match cores.as_slice() {
            [first, .., last] => Self {
                server: Some(*first),
                load: Some(*last),
            },
            _ => Self {
                server: None,
                load: None,
            },
        }
    }

    /// `command`, started on the server core.
    fn server_command(&self, mut command: Command) -> Command {
        use std::os::unix::process::CommandExt;
        if let Some(core) = self.server {
            // SAFETY: pin_to makes one async-signal-safe system call.
            unsafe {
                command.pre_exec(move || pin_to(core));
            }
        }
        command
    }
}

/// A server process, stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    grpc: SocketAddr,
    http: Option<SocketAddr>,
    /// From spawning the process to its "Listening:" line.
    started_in: Duration,
}

impl Server {
    /// Starts `command` and waits for the `Listening: grpc=… [http=…]` line it prints.
    fn start(mut command: Command) -> Result<Self, Failure> {
        let started = Instant::now();
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut grpc = None;
        let mut http = None;
        for line in lines.by_ref() {
            let line = line?;
            if let Some(rest) = line.strip_prefix("Listening:") {
                for part in rest.split_whitespace() {
                    match part.split_once('=') {
                        Some(("grpc", addr)) => grpc = Some(addr.parse()?),
                        Some(("http", addr)) => http = Some(addr.parse()?),
                        _ => {}
                    }
                }
                break;
            }
        }
        let started_in = started.elapsed();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let grpc = grpc.ok_or("the server exited before listening")?;
        let mut served_by = SERVED_BY.lock().unwrap_or_else(|e| e.into_inner());
        for addr in std::iter::once(grpc).chain(http) {
            served_by.insert(addr, child.id());
        }
        drop(served_by);
        Ok(Self {
            child,
            grpc,
            http,
            started_in,
        })
    }

    /// Peak resident memory so far, from /proc.
    fn peak_rss_mib(&self) -> Option<f64> {
        self.status_mib("VmHWM:")
    }

    /// Resident memory now, from /proc.
    fn rss_mib(&self) -> Option<f64> {
        self.status_mib("VmRSS:")
    }

    fn status_mib(&self, field: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

/// The server process behind each address a phase drives, for the CPU time
/// the phase costs it.
static SERVED_BY: std::sync::Mutex<BTreeMap<SocketAddr, u32>> =
    std::sync::Mutex::new(BTreeMap::new());

/// CPU time (user and system, all threads) process `pid` has used, in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (in parentheses, maybe with spaces): fields 3 on.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU time the PostgreSQL processes on this machine have used, in ticks
/// (0 where none runs here).
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .filter_map(cpu_ticks)
        .sum()
}

/// Microseconds per clock tick of /proc's CPU times.
fn tick_micros() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    1e6 / per_second.max(1) as f64
}

/// CPU a phase cost its server and the local PostgreSQL, in microseconds
/// per counted call: sampled when counting starts and when it ends.
struct CpuWindow {
    server: Option<u64>,
    database: u64,
}

impl CpuWindow {
    fn sample(pid: Option<u32>) -> Self {
        Self {
            server: pid.and_then(cpu_ticks),
            database: postgres_ticks(),
        }
    }

    /// (server, database) microseconds per call between `self` and `later`.
    fn per_call(&self, later: &Self, calls: usize) -> (f64, f64) {
        let calls = calls.max(1) as f64;
        let server = match (self.server, later.server) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 * tick_micros() / calls,
            _ => f64::NAN,
        };
        let database = later.database.saturating_sub(self.database) as f64 * tick_micros() / calls;
        (server, database)
    }
}

fn customerd(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_customerd"));
    command
        // Free ports: the event phase runs two servers at once.
        .env("GRPC_ADDR", "127.0.0.1:0")
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    command
}

// ---------------------------------------------------------------------------
// The load generator.

/// One kind of call, with everything needed to send it again and again.
#[derive(Clone)]
enum Call {
    Grpc {
        path: &'static str,
        headers: Vec<(&'static str, HeaderValue)>,
        /// Length-prefixed messages, sent in turn (each connection starts
        /// at a different one).
        frames: Arc<[Bytes]>,
        /// The `grpc-status` every reply must have.
        code: tonic::Code,
    },
    Http {
        method: http::Method,
        path: String,
        headers: Vec<(&'static str, HeaderValue)>,
        body: Bytes,
        expect: StatusCode,
    },
}

fn grpc_frames(message: &impl Message) -> Arc<[Bytes]> {
    Arc::new([grpc_frame(message)])
}

fn grpc_frame(message: &impl Message) -> Bytes {
    let mut buf = BytesMut::with_capacity(5 + message.encoded_len());
    buf.put_u8(0);
    buf.put_u32(message.encoded_len() as u32);
    message.encode(&mut buf).expect("a BytesMut grows");
    buf.freeze()
}

fn bearer(key: &str) -> (&'static str, HeaderValue) {
    (
        "authorization",
        HeaderValue::from_str(&format!("Bearer {key}")).expect("keys are ASCII"),
    )
}

#[derive(Default)]
struct Samples {
    /// Latencies of the calls counted, in microseconds.
    micros: Vec<u32>,
    /// Latencies of the calls refused with RESOURCE_EXHAUSTED (shed).
    shed_micros: Vec<u32>,
}

#[derive(Clone)]
struct Outcome {
    name: String,
    concurrency: usize,
    per_second: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    /// CPU per counted call of the server and of the local PostgreSQL, in µs.
    cpu: (f64, f64),
}

impl Outcome {
    fn from(name: String, concurrency: usize, window: Duration, mut samples: Vec<u32>) -> Self {
        samples.sort_unstable();
        let at = |q: f64| {
            if samples.is_empty() {
                return f64::NAN;
            }
            let i = ((samples.len() as f64 * q) as usize).min(samples.len() - 1);
            samples[i] as f64 / 1000.0
        };
        Self {
            name,
            concurrency,
            per_second: samples.len() as f64 / window.as_secs_f64(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            cpu: (f64::NAN, f64::NAN),
        }
    }
}

/// Drives `call` against `addr` from `concurrency` connections for the
/// configured time, one call in flight per connection. No call may be shed.
async fn drive(name: &str, addr: SocketAddr, call: Call, concurrency: usize) -> Outcome {
    drive_each(name, addr, vec![call], concurrency).await
}

/// As [`drive`], worker `i` making call `i % calls.len()` (for example the
/// same request as different accounts).
async fn drive_each(name: &str, addr: SocketAddr, calls: Vec<Call>, concurrency: usize) -> Outcome {
    let (outcome, shed) = drive_calls(name, addr, calls, concurrency, Retry::AtOnce).await;
    assert!(
        shed.per_second == 0.0,
        "{name}: {:.0} calls/s were shed (RESOURCE_EXHAUSTED)",
        shed.per_second
    );
    outcome
}

/// What a client does after its call was shed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Calls again at once: a retry storm, the worst case.
    AtOnce,
    /// Waits as long as the answer's `retry-after` says.
    AsTold,
}

/// As [`drive`], counting the calls refused with RESOURCE_EXHAUSTED apart:
/// the answered calls, then the shed ones.
async fn drive_shedding(
    name: &str,
    addr: SocketAddr,
    call: Call,
    concurrency: usize,
    retry: Retry,
) -> (Outcome, Outcome) {
    drive_calls(name, addr, vec![call], concurrency, retry).await
}

/// As [`drive_shedding`], worker `i` making call `i % calls.len()`.
async fn drive_calls(
    name: &str,
    addr: SocketAddr,
    calls: Vec<Call>,
    concurrency: usize,
    retry: Retry,
) -> (Outcome, Outcome) {
    let shed_name = format!("{name}: shed");
    if let Ok(only) = std::env::var("LOADTEST_ONLY")
        && !only.split('|').any(|part| name.contains(part))
        && !name.starts_with("tonic echo")
    {
        let none = |name: &str| {
            Outcome::from(
                name.to_owned(),
                concurrency,
                Duration::from_secs(1),
                Vec::new(),
            )
        };
        return (none(name), none(&shed_name));
    }
    let warmup = Duration::from_secs(1);
    let window = Duration::from_secs(
        std::env::var("LOADTEST_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5),
    );
    let start = Instant::now() + warmup;
    let end = start + window;
    let pid = SERVED_BY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&addr)
        .copied();
    let cpu = tokio::spawn(async move {
        tokio::time::sleep_until(start.into()).await;
        let first = CpuWindow::sample(pid);
        tokio::time::sleep_until(end.into()).await;
        (first, CpuWindow::sample(pid))
    });
    let calls: Vec<Arc<Call>> = calls.into_iter().map(Arc::new).collect();
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let call = Arc::clone(&calls[worker % calls.len()]);
        workers.push(tokio::spawn(async move {
            match &*call {
                Call::Grpc { .. } => grpc_worker(addr, &call, worker, start, end, retry).await,
                Call::Http { .. } => http_worker(addr, &call, start, end).await,
            }
        }));
    }
    let (mut all, mut shed) = (Vec::new(), Vec::new());
    for worker in workers {
        match worker.await {
            Ok(Ok(samples)) => {
                all.extend(samples.micros);
                shed.extend(samples.shed_micros);
            }
            Ok(Err(err)) => panic!("{name}: a call failed: {err}"),
            Err(err) => panic!("{name}: a worker panicked: {err}"),
        }
    }
    let counted = all.len();
    let mut outcome = Outcome::from(name.to_owned(), concurrency, window, all);
    let shed = Outcome::from(shed_name, concurrency, window, shed);
    if let Ok((first, last)) = cpu.await {
        outcome.cpu = first.per_call(&last, counted);
    }
    for o in [&outcome, &shed] {
        if o.per_second > 0.0 || std::ptr::eq(o, &outcome) {
            eprintln!(
                "  {:<44} {:>9.0} req/s  p50 {:.2} ms",
                o.name, o.per_second, o.p50
            );
        }
    }
    (outcome, shed)
}

async fn grpc_worker(
    addr: SocketAddr,
    call: &Call,
    worker: usize,
    start: Instant,
    end: Instant,
    retry: Retry,
) -> Result<Samples, Failure> {
    let Call::Grpc {
        path,
        headers,
        frames,
        code,
    } = call
    else {
        unreachable!("grpc_worker is given gRPC calls");
    };
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (client, connection) = h2::client::handshake(tcp).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let uri: http::Uri = format!("http://{addr}{path}").parse()?;
    let mut samples = Samples::default();
    let mut client = client;
    let mut next = worker * 7919;
    loop {
        let began = Instant::now();
        if began >= end {
            break;
        }
        let mut request = Request::post(uri.clone())
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())?;
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.clone());
        }
        client = client.ready().await?;
        let (response, mut send) = client.send_request(request, false)?;
        next = (next + 1) % frames.len();
        send.send_data(frames[next].clone(), true)?;
        let response = response.await?;
        if response.status() != StatusCode::OK {
            return Err(format!("HTTP status {}", response.status()).into());
        }
        let early_status = response.headers().get("grpc-status").cloned();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let mut body = response.into_body();
        let mut received = 0;
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            received += chunk.len();
            let _ = body.flow_control().release_capacity(chunk.len());
        }
        let trailers = body.trailers().await?;
        let status = early_status.or_else(|| trailers.and_then(|t| t.get("grpc-status").cloned()));
        let expected = (*code as i32).to_string();
        let shed_code = (tonic::Code::ResourceExhausted as i32).to_string();
        if status.as_ref().map(HeaderValue::as_bytes) == Some(shed_code.as_bytes()) {
            if began >= start {
                samples.shed_micros.push(began.elapsed().as_micros() as u32);
            }
            if let (Retry::AsTold, Some(seconds)) = (retry, retry_after) {
                tokio::time::sleep(Duration::from_secs(seconds).min(end - Instant::now().min(end)))
                    .await;
            }
            continue;
        }
        let complete = *code != tonic::Code::Ok || received >= 5;
        if status.as_ref().map(HeaderValue::as_bytes) != Some(expected.as_bytes()) || !complete {
            return Err(format!("grpc-status {status:?}, expected {expected}").into());
        }
        if began >= start {
            samples.micros.push(began.elapsed().as_micros() as u32);
        }
    }
    Ok(samples)
}

async fn http_worker(
    addr: SocketAddr,
    call: &Call,
    start: Instant,
    end: Instant,
) -> Result<Samples, Failure> {
    let Call::Http {
        method,
        path,
        headers,
        body,
        expect,
    } = call
    else {
        unreachable!("http_worker is given HTTP calls");
    };
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tcp)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let host = HeaderValue::from_str(&addr.to_string())?;
    let mut samples = Samples::default();
    loop {
        let began = Instant::now();
        if began >= end {
            break;
        }
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path.as_str())
            .header("host", host.clone())
            .body(Full::new(body.clone()))?;
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.clone());
        }
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        if status != *expect {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)).into());
        }
        if began >= start {
            samples.micros.push(began.elapsed().as_micros() as u32);
        }
    }
    Ok(samples)
}

// ---------------------------------------------------------------------------
// Events.

/// Opens `count` watchers of `key`'s stream on `grpc` (from now on), and
/// returns once the server has started every one of them; each delivery's
/// latency (from the event's time, taken in its transaction, to its arrival
/// here) goes to `latencies` in microseconds.
async fn open_watchers(
    grpc: SocketAddr,
    key: &str,
    count: usize,
    latencies: tokio::sync::mpsc::UnboundedSender<i64>,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Result<(), Failure> {
    use customerd::proto::customers::v1::event_service_client::EventServiceClient;
    let (ready, mut started) = tokio::sync::mpsc::channel::<()>(count);
    for _ in 0..count.div_ceil(WATCHERS_PER_CONNECTION) {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc}"))?
            .connect()
            .await?;
        for _ in 0..WATCHERS_PER_CONNECTION {
            let mut client = EventServiceClient::new(channel.clone());
            let mut request = tonic::Request::new(pb::WatchEventsRequest::default());
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {key}").parse()?);
            let (ready, latencies) = (ready.clone(), latencies.clone());
            tasks.push(tokio::spawn(async move {
                let reply = match client.watch_events(request).await {
                    Ok(reply) => reply,
                    Err(status) => {
                        eprintln!("  a watcher did not start: {status:?}");
                        return;
                    }
                };
                let _ = ready.send(()).await;
                let mut stream = reply.into_inner();
                while let Ok(Some(reply)) = stream.message().await {
                    let Some(at) = reply.event.and_then(|e| e.created_at) else {
                        continue;
                    };
                    let sent = at.seconds * 1_000_000 + i64::from(at.nanos) / 1000;
                    let _ = latencies.send(customerd::ids::now_micros() - sent);
                }
            }));
        }
    }
    drop(ready);
    for n in 0..count {
        match tokio::time::timeout(Duration::from_secs(30), started.recv()).await {
            Ok(Some(())) => {}
            _ => return Err(format!("only {n} of {count} watchers started").into()),
        }
    }
    Ok(())
}

/// Creates customers one at a time on `grpc`, pausing between them.
async fn paced_creates(grpc: SocketAddr, key: &str) -> Result<(), Failure> {
    let mut client =
        pb::customer_service_client::CustomerServiceClient::connect(format!("http://{grpc}"))
            .await?;
    for _ in 0..EVENT_WRITES {
        let mut request = tonic::Request::new(create_message());
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {key}").parse()?);
        client.create_customer(request).await?;
        tokio::time::sleep(EVENT_PAUSE).await;
    }
    Ok(())
}

/// p50 and p99 in milliseconds of what `latencies` received, once `expected`
/// have arrived (or 5 s passed).
async fn latency_of(
    mut latencies: tokio::sync::mpsc::UnboundedReceiver<i64>,
    expected: usize,
) -> (f64, f64, usize) {
    let mut samples = Vec::with_capacity(expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while samples.len() < expected {
        match tokio::time::timeout_at(deadline, latencies.recv()).await {
            Ok(Some(micros)) => samples.push(micros.max(0) as u32),
            _ => break,
        }
    }
    let n = samples.len();
    let outcome = Outcome::from(String::new(), 0, Duration::from_secs(1), samples);
    (outcome.p50, outcome.p99, n)
}

/// What the event phase measured on one backend.
struct EventFigures {
    rss_before: f64,
    rss_after: f64,
    /// Commit to a watcher on the same server: p50, p99 (ms), deliveries.
    same: (f64, f64, usize),
    /// To a watcher on another server of the same database.
    across: Option<(f64, f64, usize)>,
}

/// Holds [`WATCHERS`] watchers on one server while creates are made there,
/// measuring the memory they cost and their delivery latency; with
/// `across`, also watchers on a second server of the same database.
async fn event_phase(
    database: &Database,
    placement: Placement,
    key: &str,
    across: bool,
) -> Result<Option<EventFigures>, Failure> {
    let label = database.label;
    if let Ok(only) = std::env::var("LOADTEST_ONLY")
        && !only
            .split('|')
            .any(|part| "events".contains(part) || part.contains("events"))
    {
        return Ok(None);
    }
    let server = Server::start(placement.server_command(customerd(&database.url)))?;
    // One create first, so the server is warm and the stream exists.
    paced_creates_once(server.grpc, key).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.rss_mib().unwrap_or(f64::NAN);
    let (same_tx, same_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    open_watchers(server.grpc, key, WATCHERS, same_tx, &mut tasks).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = server.rss_mib().unwrap_or(f64::NAN);
    let other = if across {
        Some(Server::start(
            placement.server_command(customerd(&database.url)),
        )?)
    } else {
        None
    };
    let (across_tx, across_rx) = tokio::sync::mpsc::unbounded_channel();
    if let Some(other) = &other {
        open_watchers(
            other.grpc,
            key,
            WATCHERS_PER_CONNECTION,
            across_tx,
            &mut tasks,
        )
        .await?;
    }
    paced_creates(server.grpc, key).await?;
    let same = latency_of(same_rx, EVENT_WRITES * WATCHERS).await;
    let across = match &other {
        Some(_) => Some(latency_of(across_rx, EVENT_WRITES * WATCHERS_PER_CONNECTION).await),
        None => None,
    };
    // The watchers go before the servers: stopping a server waits (blocking
    // this thread) for its connections to drain.
    for task in tasks {
        task.abort();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(other);
    drop(server);
    eprintln!(
        "  {label}: {WATCHERS} watchers: RSS {rss_before:.1} -> {rss_after:.1} MiB; \
         commit to watcher p50 {:.2} ms p99 {:.2} ms ({} deliveries)",
        same.0, same.1, same.2
    );
    if let Some(across) = across {
        eprintln!(
            "  {label}: on another server: p50 {:.2} ms p99 {:.2} ms ({} deliveries)",
            across.0, across.1, across.2
        );
    }
    Ok(Some(EventFigures {
        rss_before,
        rss_after,
        same,
        across,
    }))
}

async fn paced_creates_once(grpc: SocketAddr, key: &str) -> Result<(), Failure> {
    let mut client =
        pb::customer_service_client::CustomerServiceClient::connect(format!("http://{grpc}"))
            .await?;
    let mut request = tonic::Request::new(create_message());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse()?);
    client.create_customer(request).await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Data.

/// A fresh database on the backend: a SQLite file, or a new PostgreSQL database.
struct Database {
    url: String,
    label: &'static str,
    cleanup: Option<Box<dyn FnOnce()>>,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            cleanup();
        }
    }
}

fn sqlite_database() -> Database {
    let path = std::env::temp_dir().join(format!("customerd-loadtest-{}.db", std::process::id()));
    let file = path.clone();
    Database {
        url: format!("sqlite://{}?mode=rwc", path.display()),
        label: "SQLite",
        cleanup: Some(Box::new(move || {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = file.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        })),
    }
}

async fn postgres_database(admin_url: &str) -> Result<Database, Failure> {
    use sea_orm::ConnectionTrait;
    let name = format!("customerd_loadtest_{}", std::process::id());
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or("TEST_POSTGRES_URL has no database")?;
    let admin_url = admin_url.to_owned();
    Ok(Database {
        url: format!("{base}/{name}"),
        label: "PostgreSQL",
        cleanup: Some(Box::new(move || {
            // A runtime of its own: drop runs outside the benchmark's.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    let admin = sea_orm::Database::connect(admin_url.as_str()).await?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                        .await?;
                    admin.close().await
                })
                .map_err(|e| std::io::Error::other(e.to_string()))
            })
            .join();
        })),
    })
}

/// What a database is prepared with.
struct Prepared {
    /// A key of the "bench" tenant, which starts empty.
    key: String,
    /// A key of the "bulk" tenant.
    bulk_key: String,
    /// Keys of accounts that start empty, one per account.
    accounts: Vec<String>,
    /// Ids spread over the bulk tenant's customers.
    bulk_ids: Vec<String>,
}

/// How many accounts the spread-out creates write to (each its own event stream).
const ACCOUNTS: usize = 8;

/// How many distinct customers the spread-out reads ask for.
const SPREAD: usize = 100_000;

/// Migrates the database, creates the keys, and seeds `rows` customers into
/// the "bulk" tenant.
async fn prepare(url: &str, rows: usize) -> Result<Prepared, Failure> {
    let db = customerd::db::connect(url, None).await?;
    customerd::db::migrate(&db).await?;
    let bench = auth::create_key(&db, "bench", Mode::Test).await?;
    let bulk = auth::create_key(&db, "bulk", Mode::Test).await?;
    let mut accounts = Vec::with_capacity(ACCOUNTS);
    for n in 0..ACCOUNTS {
        accounts.push(
            auth::create_key(&db, &format!("account {n}"), Mode::Test)
                .await?
                .secret,
        );
    }
    let account = account::Entity::find()
        .filter(account::Column::Name.eq("bulk"))
        .one(&db)
        .await?
        .ok_or("the bulk account exists")?;
    let seeded = Instant::now();
    let base = customerd::ids::now_micros() - rows as i64 * 10;
    let chunk = 2000;
    let every = (rows / SPREAD).max(1);
    let mut bulk_ids = Vec::with_capacity(SPREAD);
    for first in (0..rows).step_by(chunk) {
        let ids: Vec<String> = (first..(first + chunk).min(rows))
            .map(|_| customerd::ids::customer_id())
            .collect();
        bulk_ids.extend(ids.iter().step_by(every).cloned());
        let batch = ids.into_iter().enumerate().map(|(n, id)| {
            let i = first + n;
            let at = base + i as i64 * 10;
            customer::ActiveModel {
                id: Set(id),
                account_id: Set(account.id.clone()),
                live: Set(false),
                email: Set(Some(format!("c{i}@example.com"))),
                name: Set(Some(format!("Customer {i}"))),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        });
        customer::Entity::insert_many(batch)
            .exec_without_returning(&db)
            .await?;
    }
    eprintln!("  seeded {rows} customers in {:.1?}", seeded.elapsed());
    db.close().await?;
    Ok(Prepared {
        key: bench.secret,
        bulk_key: bulk.secret,
        accounts,
        bulk_ids,
    })
}

/// The customer the read phases fetch: every field and two metadata keys set.
async fn sample_customer(grpc: SocketAddr, key: &str) -> Result<String, Failure> {
    let mut client =
        pb::customer_service_client::CustomerServiceClient::connect(format!("http://{grpc}"))
            .await?;
    // The struct update keeps this compiling when the proto gains a field.
    #[allow(clippy::needless_update)]
    let customer = pb::CreateCustomerRequest {
        email: Some("jenny.rosen@example.com".into()),
        name: Some("Jenny Rosen".into()),
        phone: Some("+1 415 555 0100".into()),
        description: Some("Loadtest customer".into()),
        metadata: BTreeMap::from([
            ("plan".into(), "gold".into()),
            ("user_id".into(), "123".into()),
        ]),
        ..Default::default()
    };
    let mut request = tonic::Request::new(customer);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse()?);
    let reply = client.create_customer(request).await?.into_inner();
    Ok(reply.customer.ok_or("a created customer")?.id)
}

fn create_message() -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        email: Some("new.customer@example.com".into()),
        name: Some("New Customer".into()),
        metadata: BTreeMap::from([("user_id".into(), "42".into())]),
        ..Default::default()
    }
}

const CREATE_JSON: &str =
    r#"{"email":"new.customer@example.com","name":"New Customer","metadata":{"user_id":"42"}}"#;

// ---------------------------------------------------------------------------
// The run.

struct BackendResult {
    label: &'static str,
    /// The echo server's rate, measured alternately with `get`.
    echo_rate: Option<f64>,
    get: Outcome,
    rest_get: Outcome,
    grpc_create: Outcome,
    rest_create: Outcome,
    list: Outcome,
    contains: Outcome,
    shedding: Shedding,
    events: Option<EventFigures>,
    webhooks: Option<webhooks::WebhookFigures>,
}

/// Creates against a server limited to [`SHED_LIMIT`] concurrent calls.
struct Shedding {
    at_limit: Outcome,
    /// At twice the limit, the calls answered and the calls refused, when
    /// refused callers call again at once, and when they wait as told.
    storm: (Outcome, Outcome),
    told: (Outcome, Outcome),
}

/// The bare server the gRPC reads are compared with.
struct Echoing {
    addr: SocketAddr,
    call: Call,
}

/// Rounds of echo and GetCustomer, alternated so that both see the same
/// machine; the medians are compared.
const ROUNDS: usize = 3;

fn median_of(mut runs: Vec<Outcome>, name: &str) -> Outcome {
    runs.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
    let mut median = runs.swap_remove(runs.len() / 2);
    median.name = format!("{name}, median of {ROUNDS}");
    median
}

async fn run_backend(
    database: &Database,
    placement: Placement,
    rows: usize,
    echo: Option<&Echoing>,
    outcomes: &mut Vec<Outcome>,
) -> Result<BackendResult, Failure> {
    let label = database.label;
    eprintln!("customerd on {label}");
    let Prepared {
        key,
        bulk_key,
        accounts,
        bulk_ids,
    } = prepare(&database.url, rows).await?;
    let server = Server::start(placement.server_command(customerd(&database.url)))?;
    eprintln!("  customerd pid {}", server.child.id());
    let grpc = server.grpc;
    let http = server.http.ok_or("customerd printed no REST address")?;
    let id = sample_customer(grpc, &key).await?;

    let mut phase = |outcome: Outcome| -> Outcome {
        outcomes.push(outcome.clone());
        outcome
    };
    let get = Call::Grpc {
        path: "/customers.v1.CustomerService/GetCustomer",
        headers: vec![bearer(&key)],
        frames: grpc_frames(&pb::GetCustomerRequest { id: id.clone() }),
        code: tonic::Code::Ok,
    };
    let unknown_key = Call::Grpc {
        path: "/customers.v1.CustomerService/GetCustomer",
        headers: vec![bearer("sk_test_0000000000000000000000000000000000000000")],
        frames: grpc_frames(&pb::GetCustomerRequest { id: id.clone() }),
        code: tonic::Code::Unauthenticated,
    };
    let missing = Call::Grpc {
        path: "/customers.v1.CustomerService/GetCustomer",
        headers: vec![bearer(&key)],
        frames: grpc_frames(&pb::GetCustomerRequest {
            id: "cus_000000000000000000000000".into(),
        }),
        code: tonic::Code::NotFound,
    };
    let spread = Call::Grpc {
        path: "/customers.v1.CustomerService/GetCustomer",
        headers: vec![bearer(&bulk_key)],
        frames: bulk_ids
            .iter()
            .map(|id| grpc_frame(&pb::GetCustomerRequest { id: id.clone() }))
            .collect(),
        code: tonic::Code::Ok,
    };
    let rest_get = Call::Http {
        method: http::Method::GET,
        path: format!("/v1/customers/{id}"),
        headers: vec![bearer(&key)],
        body: Bytes::new(),
        expect: StatusCode::OK,
    };
    let grpc_create = Call::Grpc {
        path: "/customers.v1.CustomerService/CreateCustomer",
        headers: vec![bearer(&key)],
        frames: grpc_frames(&create_message()),
        code: tonic::Code::Ok,
    };
    let rest_create = Call::Http {
        method: http::Method::POST,
        path: "/v1/customers".into(),
        headers: vec![
            bearer(&key),
            ("content-type", HeaderValue::from_static("application/json")),
        ],
        body: Bytes::from_static(CREATE_JSON.as_bytes()),
        expect: StatusCode::OK,
    };
    let list = Call::Http {
        method: http::Method::GET,
        path: "/4geeks/v1/customers?limit=10".into(),
        headers: vec![bearer(&bulk_key)],
        body: Bytes::new(),
        expect: StatusCode::OK,
    };
    // A substring of about one name in ten thousand, anywhere in the name.
    let contains = Call::Http {
        method: http::Method::GET,
        path: format!(
            "/v1/customers/search?limit=10&query={}",
            "name~%22STOMER%2012345%22"
        ),
        headers: vec![bearer(&bulk_key)],
        body: Bytes::new(),
        expect: StatusCode::OK,
    };

    let c = GRPC_CONCURRENCY;
    phase(
        drive(
            &format!("{label}: gRPC GetCustomer, unknown key"),
            grpc,
            unknown_key,
            c,
        )
        .await,
    );
    phase(
        drive(
            &format!("{label}: gRPC GetCustomer, missing id"),
            grpc,
            missing,
            c,
        )
        .await,
    );
    // The phases the targets compare run in alternating rounds, so that each
    // sees the same machine; their medians are compared.
    let get_name = format!("{label}: gRPC GetCustomer");
    let rest_name = format!("{label}: REST GET /v1/customers/{{id}}");
    let (mut echoes, mut gets, mut rests) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        if let Some(echo) = echo {
            echoes.push(drive("tonic echo (no database)", echo.addr, echo.call.clone(), c).await);
        }
        gets.push(drive(&get_name, grpc, get.clone(), c).await);
        rests.push(drive(&rest_name, http, rest_get.clone(), c).await);
    }
    if !echoes.is_empty() {
        phase(median_of(echoes, "tonic echo (no database)"));
    }
    let get = phase(median_of(gets, &get_name));
    let rest_get = phase(median_of(rests, &rest_name));
    let spread_name = format!(
        "{label}: gRPC GetCustomer, {} customers in turn",
        bulk_ids.len()
    );
    phase(drive(&spread_name, grpc, spread, c).await);
    let c = CREATE_CONCURRENCY;
    let grpc_create = phase(
        drive(
            &format!("{label}: gRPC CreateCustomer"),
            grpc,
            grpc_create,
            c,
        )
        .await,
    );
    let rest_create = phase(
        drive(
            &format!("{label}: REST POST /v1/customers"),
            http,
            rest_create,
            c,
        )
        .await,
    );
    let spread_creates = accounts
        .iter()
        .map(|key| Call::Grpc {
            path: "/customers.v1.CustomerService/CreateCustomer",
            headers: vec![bearer(key)],
            frames: grpc_frames(&create_message()),
            code: tonic::Code::Ok,
        })
        .collect();
    phase(
        drive_each(
            &format!("{label}: gRPC CreateCustomer, {ACCOUNTS} accounts"),
            grpc,
            spread_creates,
            c,
        )
        .await,
    );
    let list = phase(
        drive(
            &format!("{label}: 4geeks list, total_items, {rows} rows"),
            http,
            list,
            LIST_CONCURRENCY,
        )
        .await,
    );
    let contains = phase(
        drive(
            &format!("{label}: search name~ (contains), {rows} rows"),
            http,
            contains,
            LIST_CONCURRENCY,
        )
        .await,
    );
    if let Some(rss) = server.peak_rss_mib() {
        eprintln!("  peak RSS {rss:.1} MiB");
        println!("{label}: peak RSS {rss:.1} MiB");
    }
    drop(server);
    // Start to serving, on a database that is already migrated and holds data.
    let again = Server::start(placement.server_command(customerd(&database.url)))?;
    println!(
        "{label}: start to serving {:.0} ms",
        again.started_in.as_secs_f64() * 1000.0
    );
    drop(again);
    // Overload: creates at the limit, then at twice it. The excess is refused
    // at once; the calls admitted should keep the latency they had at the limit.
    let limited = Server::start(placement.server_command({
        let mut command = customerd(&database.url);
        command.env("MAX_CONCURRENT_REQUESTS", SHED_LIMIT.to_string());
        command
    }))?;
    let create_limited = Call::Grpc {
        path: "/customers.v1.CustomerService/CreateCustomer",
        headers: vec![bearer(&key)],
        frames: grpc_frames(&create_message()),
        code: tonic::Code::Ok,
    };
    let at_limit = phase(
        drive(
            &format!("{label}: shedding: creates, c = limit {SHED_LIMIT}"),
            limited.grpc,
            create_limited.clone(),
            SHED_LIMIT,
        )
        .await,
    );
    let (storm, storm_shed) = drive_shedding(
        &format!("{label}: shedding: creates, c = 2 x limit, retried at once"),
        limited.grpc,
        create_limited.clone(),
        2 * SHED_LIMIT,
        Retry::AtOnce,
    )
    .await;
    let (storm, storm_shed) = (phase(storm), phase(storm_shed));
    let (admitted, shed) = drive_shedding(
        &format!("{label}: shedding: creates, c = 2 x limit, Retry-After kept"),
        limited.grpc,
        create_limited,
        2 * SHED_LIMIT,
        Retry::AsTold,
    )
    .await;
    let (admitted, shed) = (phase(admitted), phase(shed));
    drop(limited);
    let events = event_phase(database, placement, &key, label == "PostgreSQL").await?;
    let webhooks = webhooks::phase(database, placement, &key).await?;
    let echo_rate = outcomes
        .iter()
        .find(|o| echo.is_some() && o.name.starts_with("tonic echo"))
        .map(|o| o.per_second);
    Ok(BackendResult {
        label,
        echo_rate,
        get,
        rest_get,
        grpc_create,
        rest_create,
        list,
        contains,
        shedding: Shedding {
            at_limit,
            storm: (storm, storm_shed),
            told: (admitted, shed),
        },
        events,
        webhooks,
    })
}

fn ratio_line(what: &str, value: f64, target: &str, met: bool) {
    println!(
        "{what:<58} {value:>10} {target:>10}  {}",
        if met { "met" } else { "NOT MET" }
    );
}

async fn run(placement: Placement) -> Result<(), Failure> {
    let rows: usize = std::env::var("LOADTEST_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut outcomes = Vec::new();

    eprintln!("bare tonic echo server");
    let mut echo_command = Command::new(std::env::current_exe()?);
    echo_command.env(ECHO_ROLE, "1");
    let echo_server = Server::start(placement.server_command(echo_command))?;
    let echo = Echoing {
        addr: echo_server.grpc,
        call: Call::Grpc {
            path: "/loadtest.Echo/Echo",
            headers: vec![bearer("sk_test_0000000000000000000000000000000000000000")],
            frames: grpc_frames(&Echo {
                text: "cus_000000000000000000000000".into(),
            }),
            code: tonic::Code::Ok,
        },
    };
    if std::env::var_os("LOADTEST_ECHO_ONLY").is_some() {
        drive(
            "tonic echo (no database)",
            echo.addr,
            echo.call.clone(),
            GRPC_CONCURRENCY,
        )
        .await;
        return Ok(());
    }

    let mut results = Vec::new();
    let sqlite = sqlite_database();
    results.push(run_backend(&sqlite, placement, rows, Some(&echo), &mut outcomes).await?);
    drop(sqlite);
    drop(echo_server);
    if let Ok(admin) = std::env::var("TEST_POSTGRES_URL") {
        let postgres = postgres_database(&admin).await?;
        results.push(run_backend(&postgres, placement, rows, None, &mut outcomes).await?);
    }

    println!();
    println!(
        "{:<52} {:>4} {:>10} {:>9} {:>9} {:>9} {:>10} {:>8}",
        "call", "c", "req/s", "p50 ms", "p90 ms", "p99 ms", "server µs", "pg µs"
    );
    for o in &outcomes {
        println!(
            "{:<52} {:>4} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>10.1} {:>8.1}",
            o.name, o.concurrency, o.per_second, o.p50, o.p90, o.p99, o.cpu.0, o.cpu.1
        );
    }
    println!();
    println!("{:<58} {:>10} {:>10}", "target", "measured", "wanted");
    for r in &results {
        let label = r.label;
        if let Some(echo_rate) = r.echo_rate {
            let share = r.get.per_second / echo_rate;
            ratio_line(
                "1. gRPC GetCustomer / tonic echo (SQLite)",
                (share * 1000.0).round() / 10.0,
                ">= 50 %",
                share >= 0.5,
            );
        }
        let share = r.rest_get.per_second / r.get.per_second;
        ratio_line(
            &format!("2. REST GET / gRPC GetCustomer ({label})"),
            (share * 1000.0).round() / 10.0,
            ">= 80 %",
            share >= 0.8,
        );
        let wanted = if label == "SQLite" { 5000.0 } else { 2000.0 };
        for (what, o) in [("gRPC", &r.grpc_create), ("REST", &r.rest_create)] {
            ratio_line(
                &format!("3. {what} creates/s at c={CREATE_CONCURRENCY} ({label})"),
                o.per_second.round(),
                &format!(">= {wanted}"),
                o.per_second >= wanted,
            );
        }
        ratio_line(
            &format!("4. 4geeks list p50 ms, {rows} rows ({label})"),
            (r.list.p50 * 100.0).round() / 100.0,
            "<= 5",
            r.list.p50 <= 5.0,
        );
        ratio_line(
            &format!("5. search contains p50 ms, {rows} rows ({label})"),
            (r.contains.p50 * 100.0).round() / 100.0,
            "<= 50",
            r.contains.p50 <= 50.0,
        );
        let Shedding {
            at_limit,
            storm,
            told,
        } = &r.shedding;
        if let Some(events) = &r.events {
            let grown = events.rss_after - events.rss_before;
            ratio_line(
                &format!("6. RSS for {WATCHERS} event watchers, MiB ({label})"),
                (grown * 10.0).round() / 10.0,
                "<= 64",
                grown <= 64.0,
            );
            ratio_line(
                &format!("7. commit to watcher p50 ms, same server ({label})"),
                (events.same.0 * 100.0).round() / 100.0,
                "<= 10",
                events.same.0 <= 10.0,
            );
            if let Some(across) = events.across {
                ratio_line(
                    &format!("8. commit to watcher p50 ms, other server ({label})"),
                    (across.0 * 100.0).round() / 100.0,
                    "<= 100",
                    across.0 <= 100.0,
                );
            }
        }
        if let Some(w) = &r.webhooks {
            println!(
                "webhooks ({label}): commit to receiver p50 {:.2} / p99 {:.2} ms ({} deliveries, \
                 one server, paced creates); {} backlogged events delivered at {:.0}/s to a \
                 receiver answering at once",
                w.latency.0, w.latency.1, w.latency.2, w.delivered, w.per_second
            );
        }
        for (how, (admitted, shed)) in [("retried at once", storm), ("Retry-After kept", told)] {
            if shed.per_second > 0.0 {
                println!(
                    "overload ({label}, {how}): at 2 x --max-concurrent-requests={SHED_LIMIT}, \
                     {:.0}% of creates shed, in p50 {:.2} / p99 {:.2} ms; admitted {:.0}/s, \
                     p50 {:.2} / p99 {:.2} ms (at the limit: {:.0}/s, p50 {:.2} / p99 {:.2} ms)",
                    100.0 * shed.per_second / (shed.per_second + admitted.per_second),
                    shed.p50,
                    shed.p99,
                    admitted.per_second,
                    admitted.p50,
                    admitted.p99,
                    at_limit.per_second,
                    at_limit.p50,
                    at_limit.p99
                );
            }
        }
    }
    Ok(())
}

fn main() -> Result<(), Failure> {
    if std::env::var_os(ECHO_ROLE).is_some() {
        return serve_echo();
    }
    let placement = Placement::detect();
    if let Some(core) = placement.load {
        pin_to(core)?;
    }
    eprintln!(
        "servers on core {}, load on core {}",
        placement.server.map_or("any".into(), |c| c.to_string()),
        placement.load.map_or("any".into(), |c| c.to_string())
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(placement))
}
