//! Webhooks over gRPC: endpoints, signed deliveries to a real receiver on
//! 127.0.0.1, retries with growing gaps, giving up, disabled endpoints,
//! refused private addresses (when created and when sent), slow endpoints,
//! and secrets sealed at rest.

use std::sync::Arc;
use std::time::Duration;

use customerd::config::Settings;
use customerd::db::entities::webhook_delivery::{self, DeliveryState};
use customerd::proto::customers::v1 as pb;
use customerd::proto::customers::v1::customer_service_client::CustomerServiceClient;
use customerd::proto::customers::v1::webhook_endpoint_service_client::WebhookEndpointServiceClient;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use tonic::transport::Channel;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, authed, eventually, spawn_app_configured, violations};
use crate::receiver::{Received, Receiver};

pub async fn client(app: &TestApp) -> WebhookEndpointServiceClient<Channel> {
    WebhookEndpointServiceClient::new(app.channel().await)
}

/// A server whose webhooks may reach 127.0.0.1 and retry after `retry_base`.
pub async fn spawn(backend: Backend, retry_base: Duration) -> TestApp {
    spawn_app_configured(backend, |s: &mut Settings| {
        s.webhooks.allow_private = true;
        s.webhooks.retry_base = retry_base;
    })
    .await
}

pub async fn create_endpoint(app: &TestApp, url: &str, events: &[&str]) -> pb::WebhookEndpoint {
    client(app)
        .await
        .create_webhook_endpoint(authed(
            &app.key,
            pb::CreateWebhookEndpointRequest {
                url: url.into(),
                enabled_events: events.iter().map(|e| e.to_string()).collect(),
                ..Default::default()
            },
        ))
        .await
        .expect("endpoint created")
        .into_inner()
        .webhook_endpoint
        .unwrap()
}

pub async fn create_customer(app: &TestApp, name: &str) -> pb::Customer {
    CustomerServiceClient::new(app.channel().await)
        .create_customer(authed(
            &app.key,
            pb::CreateCustomerRequest {
                name: Some(name.into()),
                ..Default::default()
            },
        ))
        .await
        .expect("customer created")
        .into_inner()
        .customer
        .unwrap()
}

pub async fn deliveries(app: &TestApp, endpoint: &str) -> Vec<pb::WebhookDelivery> {
    let mut all = client(app)
        .await
        .list_webhook_deliveries(authed(
            &app.key,
            pb::ListWebhookDeliveriesRequest {
                webhook_endpoint: endpoint.into(),
                limit: 1000,
                ..Default::default()
            },
        ))
        .await
        .expect("deliveries listed")
        .into_inner()
        .deliveries;
    all.reverse();
    all
}

/// The attempts listed for `endpoint` (oldest first) once `done` holds of
/// them; panics with `what` after 15 s.
pub async fn attempts_until(
    app: &TestApp,
    endpoint: &str,
    what: &str,
    done: impl Fn(&[pb::WebhookDelivery]) -> bool,
) -> Vec<pb::WebhookDelivery> {
    eventually(Duration::from_secs(15), what, async || {
        let attempts = deliveries(app, endpoint).await;
        if done(&attempts) {
            Ok(attempts)
        } else {
            Err(attempts)
        }
    })
    .await
}

/// The deliveries scheduled for `endpoint` as the database holds them, in
/// the order they were scheduled: (event id, state). Scheduling follows the
/// endpoint's event stream in order and records the deliveries with the new
/// cursor in one transaction, so once an event has a delivery here, no
/// earlier event of the stream gets one later; and a delivery no longer
/// pending is never attempted again.
pub async fn scheduled(
    db: &sea_orm::DatabaseConnection,
    endpoint: &str,
) -> Vec<(String, DeliveryState)> {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .order_by_asc(webhook_delivery::Column::Id)
        .all(db)
        .await
        .expect("read the deliveries")
        .into_iter()
        .map(|d| (d.event_id, d.state))
        .collect()
}

/// The ids of the events scheduled for `endpoint`, in the order scheduled.
pub async fn scheduled_events(db: &sea_orm::DatabaseConnection, endpoint: &str) -> Vec<String> {
    let scheduled = scheduled(db, endpoint).await;
    scheduled.into_iter().map(|(event, _)| event).collect()
}

/// Checks `Customerd-Signature` as a receiver would, with HMAC-SHA256 over
/// `"<t>.<body>"`.
pub fn signed_by(received: &Received, secret: &str) -> bool {
    let Some(header) = received.headers.get("customerd-signature") else {
        return false;
    };
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_owned()),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut message = format!("{t}.").into_bytes();
    message.extend(&received.body);
    let expected: String = ring::hmac::sign(&key, &message)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (customerd::ids::now_micros() / 1_000_000 - t).abs() < 60);
    expected == v1 && fresh
}

async fn delivers_signed_events_in_the_profiles_format(backend: Backend) {
    let app = spawn(backend, Duration::from_secs(30)).await;
    let receiver = Receiver::ok().await;
    let endpoint = create_endpoint(&app, &receiver.url(), &["customer.*"]).await;
    assert!(endpoint.secret.starts_with("whsec_"), "{}", endpoint.secret);
    assert_eq!(endpoint.format, "paygate");
    let customer = create_customer(&app, "Ada").await;
    // Not subscribed: never sent.
    let payment = app
        .rest()
        .post(
            "/v1/payments",
            serde_json::json!({"amount": 100, "currency": "usd", "customer": customer.id}),
        )
        .await;
    assert_eq!(payment.status, 200, "{}", payment.body);
    let got = receiver
        .wait_for(Duration::from_secs(10), "customer.created", |r| {
            !r.is_empty()
        })
        .await;
    let first = &got[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/hooks");
    assert_eq!(first.headers["content-type"], "application/json");
    assert!(first.headers["user-agent"].starts_with("customerd/"));
    assert!(signed_by(first, &endpoint.secret), "{:?}", first.headers);
    assert!(!signed_by(first, "whsec_wrong"));
    let body = first.json();
    assert_eq!(body["type"], "customer.created");
    assert_eq!(body["data"]["object"]["id"], customer.id.as_str());
    // The body is the event exactly as the profile's REST API shows it.
    let shown = app.rest().ok(&format!("/v1/events/{}", first.event)).await;
    assert_eq!(body, shown);
    // A payment event was written after it, and is not sent: a customer
    // event written after the payment is, and once that one is scheduled,
    // the payment never will be (see `scheduled`).
    let marker = create_customer(&app, "After the payment").await;
    let got = receiver
        .wait_for(Duration::from_secs(10), "the later customer.created", |r| {
            r.len() >= 2
        })
        .await;
    assert_eq!(got.len(), 2, "only subscribed types are sent");
    assert_eq!(got[1].json()["type"], "customer.created");
    assert_eq!(got[1].json()["data"]["object"]["id"], marker.id.as_str());
    let events = scheduled_events(&app.db, &endpoint.id).await;
    assert_eq!(
        events,
        [first.event.clone(), got[1].event.clone()],
        "only subscribed types are scheduled"
    );
    let attempts = attempts_until(&app, &endpoint.id, "both attempts recorded", |a| {
        a.len() >= 2
    })
    .await;
    assert_eq!(attempts.len(), 2, "only subscribed types are sent");
    assert_eq!(attempts[1].event_id, got[1].event);
    assert_eq!(attempts[0].event_id, first.event);
    assert_eq!(attempts[0].event_type, "customer.created");
    assert_eq!(attempts[0].attempt, 1);
    assert_eq!(attempts[0].status_code, Some(200));
    assert!(attempts[0].delivered && attempts[0].error.is_none());
    assert!(attempts[0].next_retry_at.is_none());
}

async fn a_failing_receiver_gets_the_event_again_with_growing_gaps(backend: Backend) {
    let app = spawn(backend, Duration::from_millis(200)).await;
    let failures = 3;
    let receiver = Receiver::with(Arc::new(move |_, before| {
        (if before < failures { 503 } else { 204 }, Duration::ZERO)
    }))
    .await;
    let endpoint = create_endpoint(&app, &receiver.url(), &["*"]).await;
    create_customer(&app, "Retry").await;
    let got = receiver
        .wait_for(Duration::from_secs(20), "four attempts", |r| {
            r.len() > failures
        })
        .await;
    // Recorded as delivered (the delivery stops being pending in the same
    // transaction), it is never claimed again.
    let attempts = attempts_until(&app, &endpoint.id, "the delivery recorded", |a| {
        a.iter().any(|a| a.delivered)
    })
    .await;
    assert_eq!(
        scheduled(&app.db, &endpoint.id).await,
        [(got[0].event.clone(), DeliveryState::Delivered)]
    );
    let got_after = receiver.received();
    assert_eq!(got_after.len(), failures + 1, "delivered, then never again");
    assert!(
        got.iter()
            .all(|r| r.event == got[0].event && r.body == got[0].body)
    );
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    for pair in gaps.windows(2) {
        assert!(pair[1] > pair[0], "gaps do not grow: {gaps:?}");
    }
    assert!(gaps[0] >= Duration::from_millis(140), "{gaps:?}");
    let numbers: Vec<i32> = attempts.iter().map(|a| a.attempt).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    for failed in &attempts[..failures] {
        assert_eq!(failed.status_code, Some(503));
        assert!(!failed.delivered);
        assert!(failed.error.as_deref().unwrap_or_default().contains("503"));
        assert!(failed.next_retry_at.is_some());
    }
    assert_eq!(attempts[failures].status_code, Some(204));
    assert!(attempts[failures].delivered);
}

async fn a_delivery_is_given_up_after_the_max_age(backend: Backend) {
    let app = spawn_app_configured(backend, |s: &mut Settings| {
        s.webhooks.allow_private = true;
        s.webhooks.retry_base = Duration::from_millis(150);
        s.webhooks.max_age = Duration::from_secs(1);
    })
    .await;
    let receiver = Receiver::with(Arc::new(|_, _| (500, Duration::ZERO))).await;
    let endpoint = create_endpoint(&app, &receiver.url(), &["*"]).await;
    create_customer(&app, "Never").await;
    receiver
        .wait_for(Duration::from_secs(10), "a few attempts", |r| r.len() >= 2)
        .await;
    let attempts = attempts_until(&app, &endpoint.id, "never given up", |a| {
        a.last().is_some_and(|a| a.next_retry_at.is_none())
    })
    .await;
    let sent = receiver.received().len();
    // A retry that comes due past the max age is given up unsent (recorded
    // without a status); every other attempt reached the receiver.
    let answered = attempts.iter().filter(|a| a.status_code.is_some()).count();
    assert_eq!(answered, sent, "{attempts:?}");
    // Given up in the transaction that recorded the last attempt: no longer
    // pending, so never claimed again.
    let given_up = scheduled(&app.db, &endpoint.id).await;
    assert_eq!(given_up.len(), 1, "{given_up:?}");
    assert_eq!(given_up[0].1, DeliveryState::Failed, "{given_up:?}");
    assert_eq!(receiver.received().len(), sent, "retried after giving up");
    let metrics = crate::helpers::http_client()
        .get(format!("{}/metrics", app.http_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The recorder is the test process's: other tests count there too.
    let counted = |outcome: &str| -> f64 {
        let prefix = format!("customerd_webhook_deliveries_total{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    assert!(counted("failed") >= 1.0, "{metrics}");
    assert!(counted("retrying") >= 1.0, "{metrics}");
    assert!(metrics.contains("customerd_webhook_pending"), "{metrics}");
}

async fn a_disabled_endpoint_receives_nothing(backend: Backend) {
    let app = spawn(backend, Duration::from_secs(30)).await;
    let (on, off) = (Receiver::ok().await, Receiver::ok().await);
    let enabled = create_endpoint(&app, &on.url(), &["*"]).await;
    let disabled = create_endpoint(&app, &off.url(), &["*"]).await;
    let set_status = |status: pb::WebhookEndpointStatus| pb::UpdateWebhookEndpointRequest {
        id: disabled.id.clone(),
        status: status as i32,
        ..Default::default()
    };
    let updated = client(&app)
        .await
        .update_webhook_endpoint(authed(
            &app.key,
            set_status(pb::WebhookEndpointStatus::Disabled),
        ))
        .await
        .unwrap()
        .into_inner()
        .webhook_endpoint
        .unwrap();
    assert_eq!(updated.status, pb::WebhookEndpointStatus::Disabled as i32);
    assert!(updated.secret.is_empty(), "the secret is shown once");
    let missed = create_customer(&app, "While disabled").await;
    let sent = on
        .wait_for(Duration::from_secs(10), "enabled endpoint", |r| {
            r.len() == 1
        })
        .await;
    assert_eq!(sent[0].json()["data"]["object"]["id"], missed.id.as_str());
    // One round schedules an event for every enabled endpoint of its
    // stream: the event was scheduled for the enabled endpoint and not for
    // the disabled one, and enabling that one again moves its cursor past
    // the event, so it never will be.
    let events = scheduled_events(&app.db, &enabled.id).await;
    assert_eq!(events, [sent[0].event.clone()]);
    let nothing = scheduled(&app.db, &disabled.id).await;
    assert!(nothing.is_empty(), "{nothing:?}");
    assert!(
        off.received().is_empty(),
        "a disabled endpoint was sent an event"
    );
    // Enabled again: what happens from now on, not what it missed.
    client(&app)
        .await
        .update_webhook_endpoint(authed(
            &app.key,
            set_status(pb::WebhookEndpointStatus::Enabled),
        ))
        .await
        .unwrap();
    let later = create_customer(&app, "After").await;
    let got = off
        .wait_for(Duration::from_secs(10), "enabled again", |r| !r.is_empty())
        .await;
    // Scheduled in order: with the later event's delivery recorded, the
    // missed one would have its own by now.
    let events = scheduled_events(&app.db, &disabled.id).await;
    assert_eq!(
        events,
        [got[0].event.clone()],
        "the missed event was scheduled"
    );
    assert_eq!(off.received().len(), 1);
    assert_eq!(got[0].json()["data"]["object"]["id"], later.id.as_str());
}

async fn private_addresses_are_refused_when_created_and_when_sent(backend: Backend) {
    let app = spawn_app_configured(backend, |_| {}).await;
    let receiver = Receiver::ok().await;
    for url in [
        receiver.url(),
        format!("http://localhost:{}/hooks", receiver.addr.port()),
        "http://[::1]:9/".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
    ] {
        let refused = client(&app)
            .await
            .create_webhook_endpoint(authed(
                &app.key,
                pb::CreateWebhookEndpointRequest {
                    url: url.clone(),
                    enabled_events: vec!["*".into()],
                    ..Default::default()
                },
            ))
            .await
            .expect_err(&url);
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{url}");
        let found = violations(&refused);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "url");
        assert!(found[0].1.contains("--webhook-allow-private"), "{found:?}");
    }
    // An endpoint whose URL now points at a private address (as a name that
    // resolves differently later would) is refused when sent: by name and
    // by address.
    for url in [
        format!("http://localhost:{}/hooks", receiver.addr.port()),
        receiver.url(),
    ] {
        let endpoint = create_endpoint(&app, "http://93.184.216.34/hooks", &["*"]).await;
        app.db
            .execute_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                match backend {
                    Backend::Postgres => "UPDATE webhook_endpoints SET url = $1 WHERE id = $2",
                    _ => "UPDATE webhook_endpoints SET url = ? WHERE id = ?",
                },
                [url.clone().into(), endpoint.id.clone().into()],
            ))
            .await
            .unwrap();
        create_customer(&app, "Rebound").await;
        let attempt = attempts_until(
            &app,
            &endpoint.id,
            &format!("{url}: an attempt recorded"),
            |a| !a.is_empty(),
        )
        .await
        .remove(0);
        assert!(!attempt.delivered);
        assert_eq!(attempt.status_code, None);
        let error = attempt.error.unwrap_or_default();
        assert!(error.contains("private"), "{url}: {error}");
        // Disabled, so that its retries do not run into the next round.
        client(&app)
            .await
            .delete_webhook_endpoint(authed(
                &app.key,
                pb::DeleteWebhookEndpointRequest { id: endpoint.id },
            ))
            .await
            .unwrap();
    }
    assert!(
        receiver.received().is_empty(),
        "a private address was sent an event"
    );
}

async fn a_slow_endpoint_does_not_hold_up_the_others(backend: Backend) {
    let app = spawn(backend, Duration::from_secs(30)).await;
    let slow = Receiver::with(Arc::new(|_, _| (200, Duration::from_secs(8)))).await;
    let fast = Receiver::ok().await;
    create_endpoint(&app, &slow.url(), &["*"]).await;
    create_endpoint(&app, &fast.url(), &["*"]).await;
    for i in 0..40 {
        create_customer(&app, &format!("Busy {i}")).await;
    }
    let started = std::time::Instant::now();
    fast.wait_for(
        Duration::from_secs(5),
        "the fast endpoint's 40 events",
        |r| r.len() == 40,
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The slow one is held to a few attempts at once.
    let at_once = slow.received().len();
    assert!(
        (1..=customerd::webhooks::worker::PER_ENDPOINT).contains(&at_once),
        "{at_once} attempts at once"
    );
}

async fn secrets_are_sealed_at_rest_with_a_secret_key(backend: Backend) {
    let app = spawn_app_configured(backend, |s: &mut Settings| {
        s.webhooks.allow_private = true;
        s.webhooks.key = Some(customerd::webhooks::SealingKey::from_text(
            "an operator's key",
        ));
    })
    .await;
    let receiver = Receiver::ok().await;
    let endpoint = create_endpoint(&app, &receiver.url(), &["*"]).await;
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT secret, sealed FROM webhook_endpoints",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: Vec<u8> = row.try_get("", "secret").unwrap();
    let sealed: bool = row.try_get("", "sealed").unwrap();
    assert!(sealed);
    assert!(
        !stored
            .windows(endpoint.secret.len())
            .any(|w| w == endpoint.secret.as_bytes()),
        "the secret is stored readable"
    );
    create_customer(&app, "Sealed").await;
    let got = receiver
        .wait_for(Duration::from_secs(10), "a delivery", |r| !r.is_empty())
        .await;
    assert!(signed_by(&got[0], &endpoint.secret));
}

async fn what_waited_past_the_max_age_while_disabled_is_not_sent(backend: Backend) {
    let app = spawn_app_configured(backend, |s: &mut Settings| {
        s.webhooks.allow_private = true;
        s.webhooks.retry_base = Duration::from_secs(1);
        s.webhooks.max_age = Duration::from_millis(1500);
    })
    .await;
    let receiver = Receiver::with(Arc::new(|_, _| (500, Duration::ZERO))).await;
    let endpoint = create_endpoint(&app, &receiver.url(), &["*"]).await;
    create_customer(&app, "Parked").await;
    receiver
        .wait_for(Duration::from_secs(10), "the first attempt", |r| {
            !r.is_empty()
        })
        .await;
    let set_status = |status: pb::WebhookEndpointStatus| pb::UpdateWebhookEndpointRequest {
        id: endpoint.id.clone(),
        status: status as i32,
        ..Default::default()
    };
    let mut webhooks = client(&app).await;
    webhooks
        .update_webhook_endpoint(authed(
            &app.key,
            set_status(pb::WebhookEndpointStatus::Disabled),
        ))
        .await
        .unwrap();
    // Time passing is what this tests: the retry comes due while the
    // endpoint is disabled, and it stays disabled until the delivery is older
    // than the max age (1.5 s from when it was scheduled, before the first
    // attempt).
    tokio::time::sleep(Duration::from_secs(2)).await;
    webhooks
        .update_webhook_endpoint(authed(
            &app.key,
            set_status(pb::WebhookEndpointStatus::Enabled),
        ))
        .await
        .unwrap();
    let attempts = attempts_until(&app, &endpoint.id, "the retry recorded", |a| a.len() >= 2).await;
    assert_eq!(receiver.received().len(), 1, "sent after its max age");
    let last = attempts.last().unwrap();
    assert_eq!(last.status_code, None);
    assert!(
        last.error
            .as_deref()
            .unwrap_or_default()
            .contains("max-age"),
        "{last:?}"
    );
    assert!(last.next_retry_at.is_none());
}

backend_tests!(
    delivers_signed_events_in_the_profiles_format,
    a_failing_receiver_gets_the_event_again_with_growing_gaps,
    a_delivery_is_given_up_after_the_max_age,
    a_disabled_endpoint_receives_nothing,
    private_addresses_are_refused_when_created_and_when_sent,
    a_slow_endpoint_does_not_hold_up_the_others,
    secrets_are_sealed_at_rest_with_a_secret_key,
    what_waited_past_the_max_age_while_disabled_is_not_sent,
);
