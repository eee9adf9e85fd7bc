//! Spawning a real server on random ports against a fresh database, and a
//! generated gRPC client to call it with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use customerd::auth::{self, Mode};
use customerd::config::Settings;
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::payment_service_client::PaymentServiceClient;
use customerd::proto::customers::v1::subscription_service_client::SubscriptionServiceClient;
use customerd::startup::Application;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tokio::sync::oneshot;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

/// The database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

pub struct TestApp {
    pub grpc_addr: SocketAddr,
    /// Where the REST gateway listens.
    pub http_addr: SocketAddr,
    pub db: sea_orm::DatabaseConnection,
    /// A test-mode key of account "acme".
    pub key: String,
    /// The SQLite file to remove when the test ends.
    sqlite_file: Option<PathBuf>,
    _shutdown: oneshot::Sender<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn unique_name() -> String {
    customerd::ids::random_token("customerd_t_", 8)
}

fn env_url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} must point at a server where this test may create databases")
    })
}

/// Replaces the database name (the last path segment) of a URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A URL to a new, empty database of `backend`, used by this test alone.
pub async fn fresh_database(backend: Backend) -> String {
    let name = unique_name();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres | Backend::MySql => {
            let admin_url = env_url(match backend {
                Backend::Postgres => "TEST_POSTGRES_URL",
                _ => "TEST_MYSQL_URL",
            });
            let admin = Database::connect(admin_url.as_str())
                .await
                .expect("connect to the test database server");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create a database for this test");
            admin.close().await.ok();
            with_database(&admin_url, &name)
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Vec::new()).await
}

pub async fn spawn_app_with(backend: Backend, cors_allowed_origins: Vec<String>) -> TestApp {
    spawn_app_configured(backend, |settings| {
        settings.cors_allowed_origins = cors_allowed_origins
    })
    .await
}

/// A server on a fresh database of `backend`, with `configure` applied to its
/// settings.
pub async fn spawn_app_configured(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let database_url = fresh_database(backend).await;
    spawn_app_on(database_url, configure).await
}

/// A server on an existing database (another server's, for replicas).
pub async fn spawn_app_on(database_url: String, configure: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _logs = customerd::telemetry::init();
    }
    let mut settings = Settings::local(database_url.clone());
    configure(&mut settings);
    let app = Application::build(settings).await.expect("server starts");
    let grpc_addr = app.grpc_addr();
    let http_addr = app.http_addr();
    let db = app.db().clone();
    let key = auth::create_key(&db, "acme", Mode::Test)
        .await
        .expect("create key")
        .secret;
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let sqlite_file = database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
        .map(PathBuf::from);
    TestApp {
        grpc_addr,
        http_addr,
        db,
        key,
        sqlite_file,
        _shutdown: tx,
    }
}

impl TestApp {
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// The REST gateway's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.grpc_url())
            .unwrap()
            .connect()
            .await
            .expect("connect to the server")
    }

    pub async fn customers(&self) -> CustomerServiceClient<Channel> {
        CustomerServiceClient::new(self.channel().await)
    }

    pub async fn payments(&self) -> PaymentServiceClient<Channel> {
        PaymentServiceClient::new(self.channel().await)
    }

    pub async fn subscriptions(&self) -> SubscriptionServiceClient<Channel> {
        SubscriptionServiceClient::new(self.channel().await)
    }

    /// A REST client of this app's gateway sending the app's key.
    pub fn rest(&self) -> Rest {
        self.rest_with(&self.key)
    }

    /// A REST client of this app's gateway sending `key`.
    pub fn rest_with(&self, key: &str) -> Rest {
        Rest::new(self.http_url(), Some(key))
    }

    /// A REST client of this app's gateway sending no key at all.
    pub fn rest_without_key(&self) -> Rest {
        Rest::new(self.http_url(), None)
    }

    /// `GetCustomer` of `id` with the app's key.
    pub async fn get_customer(&self, id: &str) -> Result<pb::Customer, tonic::Status> {
        let request = authed(&self.key, pb::GetCustomerRequest { id: id.to_owned() });
        let reply = self.customers().await.get_customer(request).await?;
        Ok(reply
            .into_inner()
            .customer
            .expect("GetCustomer returns the customer"))
    }

    /// A new key for `account` in `mode`.
    pub async fn key_for(&self, account: &str, mode: Mode) -> String {
        auth::create_key(&self.db, account, mode)
            .await
            .expect("create key")
            .secret
    }
}

/// Runs `check` until it answers `Ok`, and returns what it found; panics
/// with `what` and the last `Err` if that takes longer than `within`. For
/// conditions that nothing announces, checked every 20 ms.
pub async fn eventually<T, E: std::fmt::Debug>(
    within: Duration,
    what: &str,
    mut check: impl AsyncFnMut() -> Result<T, E>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let last = match check().await {
            Ok(found) => return found,
            Err(last) => last,
        };
        assert!(
            Instant::now() < deadline,
            "{what}: not within {within:?}; last seen: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A request carrying `key` as a bearer token.
pub fn authed<T>(key: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value: MetadataValue<_> = format!("Bearer {key}").parse().unwrap();
    request.metadata_mut().insert("authorization", value);
    request
}

/// The field violations of an INVALID_ARGUMENT status, as (field, description) pairs.
pub fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .expect("a google.rpc.BadRequest detail")
        .field_violations
        .into_iter()
        .map(|v| (v.field, v.description))
        .collect()
}

/// The (field, reason) pairs of an INVALID_ARGUMENT status.
pub fn reasons(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .expect("a google.rpc.BadRequest detail")
        .field_violations
        .into_iter()
        .map(|v| (v.field, v.reason))
        .collect()
}

/// Runs an async test body once per backend: SQLite always, PostgreSQL and
/// MySQL/MariaDB when asked for with `--ignored` (they need TEST_POSTGRES_URL / TEST_MYSQL_URL).
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs TEST_POSTGRES_URL"]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
        mod mysql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs TEST_MYSQL_URL"]
                async fn $name() {
                    super::$name($crate::helpers::Backend::MySql).await
                }
            )*
        }
    };
}

/// An HTTP/1.1 client for the REST gateway, as curl and vendor SDKs talk to it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .build()
        .expect("build an HTTP client")
}

/// What a client sees of a gateway response: status, headers and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request and reads its JSON body (`Null` when the body is not JSON),
/// checking the answer against the served OpenAPI document.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let (client, request) = request.build_split();
    let request = request.expect("a well-formed request");
    let (method, path) = (
        request.method().to_string(),
        request.url().path().to_owned(),
    );
    let response = client.execute(request).await.expect("the gateway answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("read the body");
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    crate::contract::check(&method, &path, status, &body);
    Reply {
        status,
        headers,
        body,
    }
}

/// The content type of JSON bodies.
pub const JSON: &str = "application/json";

/// How a [`Rest`] client sends its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHeader {
    /// `Authorization: Bearer <key>`
    Bearer,
    /// `X-Api-Key: <key>`
    XApiKey,
}

/// A client of one REST gateway with one key (or none). Every answer goes
/// through [`send`], so every answer is checked against the OpenAPI document.
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
    header: KeyHeader,
}

impl Rest {
    /// A client of the gateway at `base` (e.g. `http://127.0.0.1:41234`)
    /// sending `key` as a bearer token.
    pub fn new(base: impl Into<String>, key: Option<&str>) -> Self {
        Self {
            http: http_client(),
            base: base.into(),
            key: key.map(str::to_owned),
            header: KeyHeader::Bearer,
        }
    }

    /// The same client sending its key as `X-Api-Key`.
    pub fn x_api_key(self) -> Self {
        Self {
            header: KeyHeader::XApiKey,
            ..self
        }
    }

    /// The full URL of `path` (which may carry a query).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request for `path` carrying the key, for callers that add headers
    /// or a body of their own before passing it to [`send`].
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match (&self.key, self.header) {
            (None, _) => request,
            (Some(key), KeyHeader::Bearer) => {
                request.header("Authorization", format!("Bearer {key}"))
            }
            (Some(key), KeyHeader::XApiKey) => request.header("X-Api-Key", key),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.request(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        send(self.request(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        send(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        send(self.request(Method::PATCH, path).json(&body)).await
    }

    /// POSTs `body` exactly as given, labelled `content_type`.
    pub async fn post_raw(&self, path: &str, body: &str, content_type: &str) -> Reply {
        self.raw(Method::POST, path, body, content_type).await
    }

    /// PATCHes `body` exactly as given, labelled `content_type`.
    pub async fn patch_raw(&self, path: &str, body: &str, content_type: &str) -> Reply {
        self.raw(Method::PATCH, path, body, content_type).await
    }

    /// Sends `body` exactly as given with `method`, labelled `content_type`.
    pub async fn raw(&self, method: Method, path: &str, body: &str, content_type: &str) -> Reply {
        send(
            self.request(method, path)
                .header("Content-Type", content_type)
                .body(body.to_owned()),
        )
        .await
    }

    /// GETs `path`, expecting 200, and returns the body.
    pub async fn ok(&self, path: &str) -> Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        reply.body
    }

    /// POSTs `body`, expecting 200, and returns the created object's id.
    pub async fn create(&self, path: &str, body: Value) -> String {
        let reply = self.post(path, body).await;
        assert_eq!(reply.status, 200, "POST {path}: {}", reply.body);
        reply.body["id"].as_str().expect("an id").to_owned()
    }
}

/// The ids of the objects a list answer holds under `items`.
pub fn ids(list: &Value, items: &str) -> Vec<String> {
    list[items]
        .as_array()
        .unwrap_or_else(|| panic!("a list under {items:?}: {list}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `text` percent-encoded for a query value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A time as the paygate and 4geeks profiles write it: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn is_iso_second(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    s.len() == 20
        && b[19] == b'Z'
        && b[10] == b'T'
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && [13, 16].iter().all(|&i| b[i] == b':')
}

/// A time as the epoch profile writes it: milliseconds since the epoch.
pub fn is_millis(v: &Value) -> bool {
    v.as_i64().is_some_and(|ms| ms > 1_600_000_000_000)
}
