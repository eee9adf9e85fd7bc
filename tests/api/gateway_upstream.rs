//! The gateway against a stand-in gRPC server that answers what a test needs:
//! every gRPC code through the one HTTP table, no internal text shown, the key
//! and request id forwarded as metadata, an unreachable upstream, and draining
//! in-flight requests on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_server::{
    CustomerService, CustomerServiceServer,
};
use reqwest::Method;
use serde_json::json;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

use crate::helpers::{Rest, eventually, send};

/// Answers GetCustomer by id; echoes the metadata it was sent in the customer.
struct StandIn {
    slow: Arc<Slow>,
}

/// The two moments of the request for `cus_slow`: it has reached the
/// stand-in, and the test lets the stand-in answer it.
#[derive(Default)]
struct Slow {
    arrived: Notify,
    answer: Notify,
}

fn metadata(request: &Request<pb::GetCustomerRequest>, name: &str) -> Option<String> {
    request
        .metadata()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A customer as the service sends one: created and updated at a time.
fn customer(id: String) -> pb::Customer {
    let at = prost_types::Timestamp {
        seconds: 1_705_312_800,
        nanos: 0,
    };
    pb::Customer {
        id,
        created_at: Some(at),
        updated_at: Some(at),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl CustomerService for StandIn {
    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::GetCustomerResponse>, Status> {
        let leak = "SELECT * FROM api_keys WHERE key_hash = 'abc' at src/customers/store.rs:42";
        let id = request.get_ref().id.clone();
        let answer = match id.as_str() {
            "cus_internal" => Err(Status::internal(leak)),
            "cus_unknown" => Err(Status::unknown(leak)),
            "cus_denied" => Err(Status::permission_denied(leak)),
            "cus_unavailable" => Err(Status::unavailable(leak)),
            "cus_deadline" => Err(Status::deadline_exceeded(leak)),
            "cus_exists" => Err(Status::already_exists("customer already exists")),
            "cus_aborted" => Err(Status::aborted("concurrent update, retry")),
            "cus_precondition" => Err(Status::failed_precondition("customer is locked")),
            "cus_exhausted" => Err(Status::resource_exhausted("slow down")),
            "cus_missing" => Err(Status::not_found("no such customer: 'cus_missing'")),
            "cus_rejected" => Err(Status::unauthenticated("invalid API key")),
            "cus_plain_invalid" => Err(Status::invalid_argument("id is malformed")),
            "cus_empty" => Ok(pb::GetCustomerResponse { customer: None }),
            "cus_slow" => {
                self.slow.arrived.notify_one();
                self.slow.answer.notified().await;
                Ok(pb::GetCustomerResponse {
                    customer: Some(customer(id)),
                })
            }
            _ => Ok(pb::GetCustomerResponse {
                customer: Some(pb::Customer {
                    name: metadata(&request, "x-request-id"),
                    email: metadata(&request, "authorization")
                        .or_else(|| metadata(&request, "x-api-key")),
                    ..customer(id)
                }),
            }),
        };
        answer.map(Response::new)
    }

    async fn create_customer(
        &self,
        _: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::CreateCustomerResponse>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }

    async fn update_customer(
        &self,
        _: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::UpdateCustomerResponse>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }

    async fn delete_customer(
        &self,
        _: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pb::DeleteCustomerResponse>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }

    async fn list_customers(
        &self,
        _: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }

    async fn search_customers(
        &self,
        _: Request<pb::SearchCustomersRequest>,
    ) -> Result<Response<pb::SearchCustomersResponse>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }

    async fn list_customer_payments(
        &self,
        _: Request<pb::ListCustomerPaymentsRequest>,
    ) -> Result<Response<pb::ListCustomerPaymentsResponse>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }

    async fn list_customer_subscriptions(
        &self,
        _: Request<pb::ListCustomerSubscriptionsRequest>,
    ) -> Result<Response<pb::ListCustomerSubscriptionsResponse>, Status> {
        Err(Status::unimplemented("not in this stand-in"))
    }
}

/// A gateway in front of `upstream`; dropping the sender shuts it down.
async fn gateway(
    upstream: Channel,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let served = tokio::spawn(customerd_gateway::serve(
        listener,
        customerd_gateway::Upstream::connected(upstream),
        customerd_gateway::probes::Probes::new(|| async { true }),
        async {
            let _ = rx.await;
        },
    ));
    (addr, tx, served)
}

/// A stand-in on a port of its own; dropping the sender stops it.
async fn stand_in() -> (Channel, oneshot::Sender<()>, Arc<Slow>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let slow = Arc::new(Slow::default());
    let stand_in = StandIn {
        slow: Arc::clone(&slow),
    };
    tokio::spawn(
        Server::builder()
            .add_service(CustomerServiceServer::new(stand_in))
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = rx.await;
            }),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    (channel, tx, slow)
}

/// A client of the gateway at `addr` sending `key`.
fn rest(addr: SocketAddr, key: &str) -> Rest {
    Rest::new(format!("http://{addr}"), Some(key))
}

#[tokio::test]
async fn every_grpc_code_maps_through_one_table_without_leaking() {
    let (upstream, _stop_upstream, _) = stand_in().await;
    let (addr, _stop, _) = gateway(upstream).await;
    let rest = rest(addr, "sk_test_x").x_api_key();
    let error = |kind: &str, message: &str| json!({"error": {"type": kind, "message": message}});
    let cases = [
        ("cus_internal", 500, error("internal", "internal error")),
        ("cus_unknown", 500, error("internal", "internal error")),
        ("cus_denied", 500, error("internal", "internal error")),
        ("cus_empty", 500, error("internal", "internal error")),
        (
            "cus_unavailable",
            503,
            error("unavailable", "the service is unavailable, try again"),
        ),
        (
            "cus_deadline",
            503,
            error("unavailable", "the service is unavailable, try again"),
        ),
        (
            "cus_exists",
            409,
            error("conflict", "customer already exists"),
        ),
        (
            "cus_aborted",
            409,
            error("conflict", "concurrent update, retry"),
        ),
        (
            "cus_precondition",
            409,
            error("conflict", "customer is locked"),
        ),
        ("cus_exhausted", 429, error("rate_limited", "slow down")),
        (
            "cus_missing",
            404,
            error("not_found", "no such customer: 'cus_missing'"),
        ),
        (
            "cus_rejected",
            401,
            error("unauthenticated", "invalid API key"),
        ),
        (
            "cus_plain_invalid",
            422,
            // A retrieve has no body: a problem without a field is the query's.
            json!({"detail": [{"loc": ["query"], "msg": "id is malformed", "type": "value_error.invalid"}]}),
        ),
    ];
    for (profile, (id, status, body)) in ["/v1", "/4geeks/v1", "/epoch/v1"]
        .iter()
        .flat_map(|p| cases.iter().map(move |c| (p, c)))
    {
        let reply = rest.get(&format!("{profile}/customers/{id}")).await;
        assert_eq!(reply.status, *status, "{profile} {id}");
        assert_eq!(&reply.body, body, "{profile} {id}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn key_and_request_id_are_forwarded_as_metadata() {
    let (upstream, _stop_upstream, _) = stand_in().await;
    let (addr, _stop, _) = gateway(upstream).await;
    let bearer = send(
        rest(addr, "sk_test_abc")
            .request(Method::GET, "/v1/customers/cus_echo")
            .header("X-Request-Id", "trace-me-1"),
    )
    .await;
    assert_eq!(bearer.status, 200);
    assert_eq!(bearer.body["email"], "Bearer sk_test_abc");
    assert_eq!(bearer.body["name"], "trace-me-1");
    assert_eq!(bearer.header("x-request-id"), Some("trace-me-1"));

    let header = rest(addr, "sk_test_def")
        .x_api_key()
        .get("/epoch/v1/customers/cus_echo")
        .await;
    assert_eq!(header.body["email"], "sk_test_def");
    let generated = header.header("x-request-id").unwrap();
    assert_eq!(
        header.body["name"], generated,
        "the generated id is the one forwarded"
    );
}

#[tokio::test]
async fn an_unreachable_upstream_answers_503() {
    // A port held by a socket that does not listen: connections are refused,
    // and no other test can take the port while this one runs.
    let held = TcpSocket::new_v4().unwrap();
    held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let closed = held.local_addr().unwrap();
    let upstream = Channel::from_shared(format!("http://{closed}"))
        .unwrap()
        .connect_lazy();
    let (addr, _stop, _) = gateway(upstream).await;
    let reply = rest(addr, "sk_test_x")
        .x_api_key()
        .get("/4geeks/v1/customers")
        .await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.body,
        json!({"error": {"type": "unavailable", "message": "the service is unavailable, try again"}})
    );
    drop(held);
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let (upstream, _stop_upstream, slow) = stand_in().await;
    let (addr, stop, served) = gateway(upstream).await;
    let client = rest(addr, "sk_test_x").x_api_key();
    let in_flight = tokio::spawn(async move { client.get("/v1/customers/cus_slow").await });
    slow.arrived.notified().await;
    stop.send(()).unwrap();
    // The gateway stops taking connections while the request is still in flight.
    eventually(
        Duration::from_secs(10),
        "the gateway stops listening",
        async || match TcpStream::connect(addr).await {
            Ok(_) => Err("still listening"),
            Err(_) => Ok(()),
        },
    )
    .await;
    assert!(!in_flight.is_finished());
    slow.answer.notify_one();
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["id"], "cus_slow");
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("the gateway stops once drained")
        .unwrap()
        .unwrap();
    assert!(
        TcpListener::bind(addr).await.is_ok(),
        "the port is released"
    );
}
