//! What shares the gRPC port: health, reflection, grpc-web with CORS, request ids.

use customerd::proto::customers::v1 as pb;
use prost::Message;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::helpers::{Backend, authed, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_answers_serving_for_the_server_and_the_service() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut health = HealthClient::new(app.channel().await);
    for service in ["", "customers.v1.CustomerService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
}

#[tokio::test]
async fn reflection_lists_the_services_in_both_versions() {
    use tokio_stream::StreamExt;
    let app = spawn_app(Backend::Sqlite).await;

    let mut v1 = tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(
        app.channel().await,
    );
    let request = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            ),
        ),
    };
    let mut stream = v1
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.next().await.unwrap().unwrap();
    let Some(
        tonic_reflection::pb::v1::server_reflection_response::MessageResponse::ListServicesResponse(
            list,
        ),
    ) = response.message_response
    else {
        panic!("expected a service list, got {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"customers.v1.CustomerService".to_owned()),
        "{names:?}"
    );

    let mut v1alpha =
        tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient::new(
            app.channel().await,
        );
    let request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "customers.v1.CustomerService".into(),
            ),
        ),
    };
    let mut stream = v1alpha
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.next().await.unwrap().unwrap();
    let Some(tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) =
        response.message_response
    else {
        panic!("expected file descriptors, got {response:?}");
    };
    let file = prost_types::FileDescriptorProto::decode(files.file_descriptor_proto[0].as_slice())
        .unwrap();
    assert_eq!(file.package(), "customers.v1");
    assert!(file.service.iter().any(|s| s.name() == "CustomerService"));
}

/// A grpc-web frame: flag byte 0, big-endian length, message.
fn grpc_web_frame(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    frame
}

#[tokio::test]
async fn grpc_web_over_http1_creates_a_customer() {
    let origin = "http://app.example.test";
    let app = spawn_app_with(Backend::Sqlite, vec![origin.to_owned()]).await;
    let http = reqwest::Client::builder().http1_only().build().unwrap();
    let url = format!(
        "{}/customers.v1.CustomerService/CreateCustomer",
        app.grpc_url()
    );
    let response = http
        .post(&url)
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("origin", origin)
        .header("x-request-id", "req-from-browser-1")
        .bearer_auth(&app.key)
        .body(grpc_web_frame(&pb::CreateCustomerRequest {
            email: Some("web@example.com".into()),
            ..Default::default()
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/grpc-web+proto");
    assert_eq!(headers["access-control-allow-origin"], origin);
    assert_eq!(headers["x-request-id"], "req-from-browser-1");
    let body = response.bytes().await.unwrap();
    // First frame: the message; then a trailer frame (flag 0x80) with grpc-status: 0.
    assert_eq!(body[0], 0);
    let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let reply = pb::CreateCustomerResponse::decode(&body[5..5 + len]).unwrap();
    let customer = reply.customer.unwrap();
    assert_eq!(customer.email.as_deref(), Some("web@example.com"));
    let trailer = &body[5 + len..];
    assert_eq!(trailer[0], 0x80);
    let trailer_text = String::from_utf8_lossy(&trailer[5..]).to_lowercase();
    assert!(trailer_text.contains("grpc-status:0"), "{trailer_text}");

    // The customer is there for a gRPC client too.
    let fetched = app.get_customer(&customer.id).await.unwrap();
    assert_eq!(fetched, customer);
}

#[tokio::test]
async fn cors_preflight_allows_only_configured_origins() {
    let allowed = "http://app.example.test";
    let app = spawn_app_with(Backend::Sqlite, vec![allowed.to_owned()]).await;
    let http = reqwest::Client::builder().http1_only().build().unwrap();
    let url = format!(
        "{}/customers.v1.CustomerService/ListCustomers",
        app.grpc_url()
    );
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-grpc-web,authorization",
            )
            .send()
    };
    let ok = preflight(allowed).await.unwrap();
    assert!(ok.status().is_success());
    assert_eq!(ok.headers()["access-control-allow-origin"], allowed);
    let allowed_headers = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for h in ["content-type", "x-grpc-web", "authorization", "x-api-key"] {
        assert!(allowed_headers.contains(h), "{allowed_headers}");
    }
    let refused = preflight("http://evil.example.test").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn every_call_gets_a_request_id() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .customers()
        .await
        .list_customers(authed(&app.key, pb::ListCustomersRequest::default()))
        .await
        .unwrap();
    let id = response
        .metadata()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(id.starts_with("req_") && id.len() == 28, "{id}");

    let mut request = authed(&app.key, pb::ListCustomersRequest::default());
    request
        .metadata_mut()
        .insert("x-request-id", "caller-chosen-id".parse().unwrap());
    let response = app.customers().await.list_customers(request).await.unwrap();
    assert_eq!(
        response.metadata().get("x-request-id").unwrap(),
        "caller-chosen-id"
    );
}
