//! Built with `--features otel`: one REST call is one trace, from the caller's
//! `traceparent` through the gateway's span into the service's span, whether
//! the gateway calls the service in process or over a TCP connection.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use customerd::config::Settings;
use customerd::startup::Application;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tokio::net::TcpListener;

/// Keeps every span it is handed.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Recorder {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

impl Recorder {
    fn in_trace(&self, trace: TraceId) -> Vec<SpanData> {
        let spans = self.0.lock().unwrap();
        spans
            .iter()
            .filter(|s| s.span_context.trace_id() == trace)
            .cloned()
            .collect()
    }

    /// The spans of `trace` once one named `name` has ended (the service's
    /// span may end just after the gateway answered).
    async fn wait_for(&self, trace: TraceId, name: &str) -> Vec<SpanData> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let spans = self.in_trace(trace);
            if spans.iter().any(|s| s.name == name) {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "no span {name:?} in trace {trace}; recorded: {:#?}",
            self.0.lock().unwrap()
        );
    }
}

fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder = Recorder::default();
        // Kept for the life of the test binary: spans export as they end.
        std::mem::forget(customerd::telemetry::with_exporter(recorder.clone()));
        recorder
    })
}

struct Server {
    http: String,
    grpc: String,
    key: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve() -> Server {
    let path = std::env::temp_dir().join(format!(
        "customerd_t_otel_{}_{}.db",
        std::process::id(),
        SpanId::from(rand_u64())
    ));
    let settings = Settings::local(format!("sqlite://{}?mode=rwc", path.display()));
    let app = Application::build(settings).await.expect("server starts");
    let key = app
        .initial_key()
        .expect("a fresh database gets a key")
        .secret
        .clone();
    let (http, grpc) = (
        format!("http://{}", app.http_addr()),
        format!("http://{}", app.grpc_addr()),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Server {
        http,
        grpc,
        key,
        _stop: stop,
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// A trace and a caller's span in it, as a `traceparent` names them.
fn caller_context() -> (TraceId, SpanId, String) {
    let trace = TraceId::from(u128::from(rand_u64()) << 64 | u128::from(rand_u64()));
    let span = SpanId::from(rand_u64());
    (trace, span, format!("00-{trace}-{span}-01"))
}

async fn list_customers(base: &str, key: &str, traceparent: Option<&str>) {
    let mut request = reqwest::Client::new()
        .get(format!("{base}/v1/customers"))
        .bearer_auth(key);
    if let Some(value) = traceparent {
        request = request.header("traceparent", value);
    }
    let response = request.send().await.expect("request sent");
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

fn only<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let named: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(named.len(), 1, "one {name:?} span expected: {spans:#?}");
    named[0]
}

/// The gateway's span continues the caller's; the service's is its child.
fn assert_one_trace(spans: &[SpanData], caller: SpanId) {
    let http = only(spans, "http");
    assert_eq!(http.parent_span_id, caller, "gateway span: {http:#?}");
    assert!(http.parent_span_is_remote);
    let call = only(spans, "call");
    assert_eq!(
        call.parent_span_id,
        http.span_context.span_id(),
        "service span: {call:#?}"
    );
}

#[tokio::test]
async fn a_rest_call_and_its_grpc_call_are_one_trace_in_process() {
    let recorder = recorder();
    let server = serve().await;
    let (trace, caller, traceparent) = caller_context();

    list_customers(&server.http, &server.key, Some(&traceparent)).await;

    let spans = recorder.wait_for(trace, "call").await;
    assert_one_trace(&spans, caller);
}

#[tokio::test]
async fn the_trace_crosses_the_network_to_a_remote_service() {
    let recorder = recorder();
    let server = serve().await;
    // `customerd gateway --upstream`: a gateway alone, calling over TCP.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway = format!("http://{}", listener.local_addr().unwrap());
    let channel = tonic::transport::Endpoint::from_shared(server.grpc.clone())
        .unwrap()
        .connect_lazy();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(customerd_gateway::serve(
        listener,
        customerd_gateway::Upstream::connected(channel),
        customerd_gateway::probes::Probes::new(|| async { true }),
        async move {
            let _ = stopped.await;
        },
    ));
    let (trace, caller, traceparent) = caller_context();

    list_customers(&gateway, &server.key, Some(&traceparent)).await;

    let spans = recorder.wait_for(trace, "call").await;
    assert_one_trace(&spans, caller);
    drop(stop);
}

#[tokio::test]
async fn without_a_traceparent_the_gateway_starts_the_trace() {
    let recorder = recorder();
    let server = serve().await;
    let request_id = format!("otel-root-{}", rand_u64());
    let response = reqwest::Client::new()
        .get(format!("{}/v1/customers", server.http))
        .bearer_auth(&server.key)
        .header("x-request-id", &request_id)
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200);

    // The gateway's span of this request (found by its request id) is a root.
    let tagged = |s: &SpanData| {
        s.attributes
            .iter()
            .any(|kv| kv.key.as_str() == "request_id" && kv.value.as_str() == request_id)
    };
    let mut root = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        root = recorder
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|s| s.name == "http" && tagged(s))
            .cloned();
        if root.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let root = root.expect("the gateway's span was exported");
    assert_eq!(root.parent_span_id, SpanId::INVALID, "{root:#?}");
    let spans = recorder
        .wait_for(root.span_context.trace_id(), "call")
        .await;
    let call = only(&spans, "call");
    assert_eq!(call.parent_span_id, root.span_context.span_id());
    assert!(
        tagged(call),
        "the service saw the same request id: {call:#?}"
    );
}

#[tokio::test]
async fn a_grpc_caller_s_trace_is_continued_by_the_service() {
    use customerd_wire::pb::ListCustomersRequest;
    use customerd_wire::pb::customer_service_client::CustomerServiceClient;

    let recorder = recorder();
    let server = serve().await;
    let (trace, caller, traceparent) = caller_context();
    let mut client = CustomerServiceClient::connect(server.grpc.clone())
        .await
        .unwrap();
    let mut request = tonic::Request::new(ListCustomersRequest::default());
    let metadata = request.metadata_mut();
    metadata.insert(
        "authorization",
        format!("Bearer {}", server.key).parse().unwrap(),
    );
    metadata.insert("traceparent", traceparent.parse().unwrap());
    client.list_customers(request).await.expect("listed");

    let spans = recorder.wait_for(trace, "call").await;
    let call = only(&spans, "call");
    assert_eq!(call.parent_span_id, caller);
    assert!(call.parent_span_is_remote);
}
