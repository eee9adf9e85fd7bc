//! The gateway against a stand-in gRPC server that answers what a test needs:
//! every gRPC code through the one HTTP table, no internal text shown, the key
//! and request id forwarded as metadata, an unreachable upstream, and draining
//! in-flight requests on shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_server::{
    CustomerService, CustomerServiceServer,
};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

use crate::helpers::{http_client, send};

/// Answers GetCustomer by id; echoes the metadata it was sent in the customer.
struct StandIn;

fn metadata(request: &Request<pb::GetCustomerRequest>, name: &str) -> Option<String> {
    request
        .metadata()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
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
                tokio::time::sleep(Duration::from_millis(600)).await;
                Ok(pb::GetCustomerResponse {
                    customer: Some(pb::Customer {
                        id,
                        ..Default::default()
                    }),
                })
            }
            _ => Ok(pb::GetCustomerResponse {
                customer: Some(pb::Customer {
                    id,
                    name: metadata(&request, "x-request-id"),
                    email: metadata(&request, "authorization")
                        .or_else(|| metadata(&request, "x-api-key")),
                    ..Default::default()
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
    let served = tokio::spawn(customerd_gateway::serve(listener, upstream, async {
        let _ = rx.await;
    }));
    (addr, tx, served)
}

async fn stand_in() -> (Channel, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(
        Server::builder()
            .add_service(CustomerServiceServer::new(StandIn))
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = rx.await;
            }),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    (channel, tx)
}

#[tokio::test]
async fn every_grpc_code_maps_through_one_table_without_leaking() {
    let (upstream, _stop_upstream) = stand_in().await;
    let (addr, _stop, _) = gateway(upstream).await;
    let http = http_client();
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
            json!({"detail": [{"loc": ["body"], "msg": "id is malformed", "type": "value_error.invalid"}]}),
        ),
    ];
    for (profile, (id, status, body)) in ["/v1", "/4geeks/v1", "/epoch/v1"]
        .iter()
        .flat_map(|p| cases.iter().map(move |c| (p, c)))
    {
        let reply = send(
            http.get(format!("http://{addr}{profile}/customers/{id}"))
                .header("X-Api-Key", "sk_test_x"),
        )
        .await;
        assert_eq!(reply.status, *status, "{profile} {id}");
        assert_eq!(&reply.body, body, "{profile} {id}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn key_and_request_id_are_forwarded_as_metadata() {
    let (upstream, _stop_upstream) = stand_in().await;
    let (addr, _stop, _) = gateway(upstream).await;
    let http = http_client();
    let bearer = send(
        http.get(format!("http://{addr}/v1/customers/cus_echo"))
            .header("Authorization", "Bearer sk_test_abc")
            .header("X-Request-Id", "trace-me-1"),
    )
    .await;
    assert_eq!(bearer.status, 200);
    assert_eq!(bearer.body["email"], "Bearer sk_test_abc");
    assert_eq!(bearer.body["name"], "trace-me-1");
    assert_eq!(bearer.header("x-request-id"), Some("trace-me-1"));

    let header = send(
        http.get(format!("http://{addr}/epoch/v1/customers/cus_echo"))
            .header("X-Api-Key", "sk_test_def"),
    )
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
    // A port that was just free: nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let upstream = Channel::from_shared(format!("http://{closed}"))
        .unwrap()
        .connect_lazy();
    let (addr, _stop, _) = gateway(upstream).await;
    let reply = send(
        http_client()
            .get(format!("http://{addr}/4geeks/v1/customers"))
            .header("X-Api-Key", "sk_test_x"),
    )
    .await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.body,
        json!({"error": {"type": "unavailable", "message": "the service is unavailable, try again"}})
    );
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let (upstream, _stop_upstream) = stand_in().await;
    let (addr, stop, served) = gateway(upstream).await;
    let slow = tokio::spawn(send(
        http_client()
            .get(format!("http://{addr}/v1/customers/cus_slow"))
            .header("X-Api-Key", "sk_test_x"),
    ));
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).unwrap();
    let reply = slow.await.unwrap();
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
