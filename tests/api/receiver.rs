//! A webhook receiver on 127.0.0.1: records every request it is sent and
//! answers as its test tells it to (a status, after an optional delay).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// The event's id, from the body.
    pub event: String,
    /// Requests for the same event id under way when this one arrived.
    pub overlapping: usize,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// How the receiver answers a request: `(status, delay)`, given the event id
/// and how many times that event arrived before.
pub type Policy = Arc<dyn Fn(&str, usize) -> (u16, Duration) + Send + Sync>;

pub struct Receiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

#[derive(Default)]
struct InFlight(Mutex<HashMap<String, usize>>);

impl Receiver {
    /// Answers 200 at once.
    pub async fn ok() -> Self {
        Self::with(Arc::new(|_, _| (200, Duration::ZERO))).await
    }

    pub async fn with(policy: Policy) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let in_flight = Arc::new(InFlight::default());
        let (r, a) = (Arc::clone(&received), Arc::clone(&arrived));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (r, a, p, f) = (
                    Arc::clone(&r),
                    Arc::clone(&a),
                    Arc::clone(&policy),
                    Arc::clone(&in_flight),
                );
                tokio::spawn(async move {
                    let _ = serve(stream, r, a, p, f).await;
                });
            }
        });
        Self {
            addr,
            received,
            arrived,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `done` holds of what arrived, or panics after `within`.
    pub async fn wait_for(
        &self,
        within: Duration,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.arrived.notified();
            let now = self.received();
            if done(&now) {
                return now;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "{what}: not within {within:?}; received {} requests",
                    now.len()
                );
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(100)), notified).await;
        }
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    policy: Policy,
    in_flight: Arc<InFlight>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let event_id = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let before = {
            let mut all = received.lock().unwrap();
            let before = all.iter().filter(|r| r.event == event_id).count();
            let mut flying = in_flight.0.lock().unwrap();
            let overlapping = *flying.get(&event_id).unwrap_or(&0);
            *flying.entry(event_id.clone()).or_default() += 1;
            all.push(Received {
                at: Instant::now(),
                method,
                path,
                headers,
                body,
                event: event_id.clone(),
                overlapping,
            });
            before
        };
        arrived.notify_waiters();
        let (status, delay) = policy(&event_id, before);
        tokio::time::sleep(delay).await;
        let reply = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
        );
        let written = write.write_all(reply.as_bytes()).await;
        if let Some(n) = in_flight.0.lock().unwrap().get_mut(&event_id) {
            *n -= 1;
        }
        written?;
    }
}
