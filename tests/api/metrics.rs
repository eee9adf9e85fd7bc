//! `/metrics`: Prometheus text with calls by transport, method and code,
//! their durations, and the database pool.

use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;

use crate::helpers::{Backend, Rest, authed, fresh_database, http_client};
use crate::process::ServerProcess;

/// The value of the sample whose line starts with `name{` and holds every label.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| labels.iter().all(|l| line.contains(l)))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn metrics_count_calls_by_transport_method_and_code() {
    let url = fresh_database(Backend::Sqlite).await;
    let server = ServerProcess::start(&url, &[]).await;
    let key = server.first_key.clone().expect("a first key");
    let mut client = CustomerServiceClient::connect(server.grpc_url())
        .await
        .unwrap();
    for _ in 0..2 {
        let missing = client
            .get_customer(authed(
                &key,
                pb::GetCustomerRequest {
                    id: "cus_000000000000000000000000".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), tonic::Code::NotFound);
    }
    let rest = Rest::new(format!("http://{}", server.http), Some(&key));
    assert_eq!(rest.get("/v1/customers").await.status, 200);
    assert_eq!(rest.get("/v1/customers/cus_nope").await.status, 404);

    let reply = http_client()
        .get(format!("http://{}/metrics", server.http))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert!(
        reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = reply.text().await.unwrap();
    let (grpc, http) = (r#"transport="grpc""#, r#"transport="http""#);
    let get = r#"method="customers.v1.CustomerService/GetCustomer""#;
    let list = r#"method="GET /v1/customers""#;
    let get_one = r#"method="GET /v1/customers/{id}""#;
    let calls = "customerd_requests_total";
    let expected: [(&str, &[&str], Option<f64>); 6] = [
        (calls, &[grpc, get, r#"code="NotFound""#], Some(2.0)),
        (calls, &[http, list, r#"code="200""#], Some(1.0)),
        (calls, &[http, get_one, r#"code="404""#], Some(1.0)),
        // The REST calls' own gRPC calls inside the process are not counted again.
        (calls, &[grpc, "ListCustomers"], None),
        (
            "customerd_request_duration_seconds_count",
            &[grpc, get],
            Some(2.0),
        ),
        (
            "customerd_request_duration_seconds_bucket",
            &[get, r#"le="5""#],
            Some(2.0),
        ),
    ];
    for (name, labels, value) in expected {
        let found = sample(&text, name, labels);
        assert_eq!(found, value, "{name} {labels:?}: {text}");
    }
    for state in ["idle", "in_use"] {
        assert!(
            sample(
                &text,
                "customerd_db_connections",
                &[&format!(r#"state="{state}""#)]
            )
            .is_some(),
            "{text}"
        );
    }
}
