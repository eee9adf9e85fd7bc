//! The event routes of every profile: `GET /events` (the profile's list
//! envelope, newest first), `GET /events/{id}`, and `GET /events/stream`
//! (server-sent events, oldest first, resumable with `Last-Event-ID`).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::{Map, Value};
use tonic::codegen::tokio_stream::Stream;

use super::{Id, Object, Profile, Upstream, listing, object};
use crate::auth::Caller;
use crate::error::{ApiError, Origin, from_query, problems_of};
use crate::objects::{Time, TimeStyle, time};
use crate::proto::pb;
use crate::query::{Bound, Query};
use crate::validation::Loc;

/// How often an idle stream sends a comment line, so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// An event in a profile's format.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Event")]
pub struct EventJson<'a> {
    /// `evt_` and 24 hex characters.
    id: &'a str,
    #[schemars(extend("enum" = ["event"]))]
    object: &'static str,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = customerd_wire::events::TYPES))]
    kind: &'a str,
    /// True for live-mode objects, false for test mode.
    live: bool,
    #[schemars(required)]
    created_at: Option<Time>,
    data: Data,
    request: Request<'a>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
struct Data {
    #[schemars(schema_with = "changed_object")]
    object: Value,
    /// On `*.updated` only: the earlier values of the fields the change changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Map<String, Value>")]
    previous_attributes: Option<Value>,
}

/// The schema of `data.object`: a customer, payment or subscription.
fn changed_object(generator: &mut SchemaGenerator) -> Schema {
    let customer = generator.subschema_for::<<pb::Customer as Object>::Json<'static>>();
    let payment = generator.subschema_for::<<pb::Payment as Object>::Json<'static>>();
    let subscription = generator.subschema_for::<<pb::Subscription as Object>::Json<'static>>();
    json_schema!({ "anyOf": [customer, payment, subscription] })
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
struct Request<'a> {
    /// The request id of the change.
    id: Option<&'a str>,
    idempotency_key: Option<&'a str>,
}

fn object_json<T: Object>(object: &T, style: TimeStyle) -> Value {
    serde_json::to_value(object.json(style)).unwrap_or(Value::Null)
}

impl<'a> EventJson<'a> {
    pub fn new(event: &'a pb::Event, style: TimeStyle) -> Self {
        let object = match &event.object {
            Some(pb::event::Object::Customer(c)) => object_json(c, style),
            Some(pb::event::Object::Payment(p)) => object_json(p, style),
            Some(pb::event::Object::Subscription(s)) => object_json(s, style),
            None => Value::Null,
        };
        let previous = event.previous.as_ref().map(|previous| match previous {
            pb::event::Previous::PreviousCustomer(c) => object_json(c, style),
            pb::event::Previous::PreviousPayment(p) => object_json(p, style),
            pb::event::Previous::PreviousSubscription(s) => object_json(s, style),
        });
        // Only the changed fields, as the profile names them.
        let previous_attributes = previous.map(|before| {
            let changed = event
                .changed_fields
                .as_ref()
                .map(|m| m.paths.as_slice())
                .unwrap_or_default();
            let picked = changed
                .iter()
                .map(|field| {
                    (
                        field.clone(),
                        before.get(field).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect::<serde_json::Map<_, _>>();
            Value::Object(picked)
        });
        let request = event.request.as_ref();
        Self {
            id: &event.id,
            object: "event",
            kind: &event.r#type,
            live: event.live,
            created_at: time(event.created_at.as_ref(), style),
            data: Data {
                object,
                previous_attributes,
            },
            request: Request {
                id: request.and_then(|r| r.id.as_deref()),
                idempotency_key: request.and_then(|r| r.idempotency_key.as_deref()),
            },
        }
    }
}

/// The service's answer: resuming after a pruned event is 410, the rest as
/// every route maps it.
fn answer(status: tonic::Status) -> ApiError {
    if status.code() == tonic::Code::FailedPrecondition {
        ApiError::Gone(status.message().to_owned())
    } else {
        from_query(status)
    }
}

/// The list's answer: the service names its filter `types`, the query `type`.
fn list_answer(status: tonic::Status) -> ApiError {
    if status.code() != tonic::Code::InvalidArgument {
        return answer(status);
    }
    let mut problems = problems_of(&status, Origin::Query);
    for problem in &mut problems {
        if problem.loc == Loc::query("types") {
            problem.loc = Loc::query("type");
        }
    }
    ApiError::Invalid(problems)
}

/// `GET /events`: `type` (exact, or a prefix such as `customer.*`),
/// `created[gte]`, `created[lte]` and the profile's paging.
pub async fn list<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let paging = P::paging(&mut query);
    let request = pb::ListEventsRequest {
        types: query.string("type").into_iter().collect(),
        created_gte: query.instant("created[gte]", Bound::Lower),
        created_lte: query.instant("created[lte]", Bound::Upper),
        ..(&paging).into()
    };
    query.finish()?;
    let reply = upstream
        .events()
        .list_events(caller.request(request))
        .await
        .map_err(list_answer)?;
    use super::ListReply;
    let page = reply.into_inner().into_page();
    Ok(listing::<P, _>(format!("{}/events", P::BASE), paging, page))
}

/// `GET /events/{id}`.
pub async fn retrieve<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref()).finish()?;
    let reply = upstream
        .events()
        .get_event(caller.request(pb::GetEventRequest { id }))
        .await
        .map_err(from_query)?;
    Ok(P::object(&object(reply.into_inner().event)?))
}

/// `GET /events/stream`: `text/event-stream`, oldest first; after the
/// `Last-Event-ID` header or `starting_after`, else from now on; `types`
/// (comma-separated types or patterns) filters; a comment every 15 s.
pub async fn stream<P: Profile>(
    State(upstream): State<Upstream>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut query = Query::parse(raw.as_deref());
    let types: Vec<String> = query
        .string("types")
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let after = query.string("starting_after");
    query.finish()?;
    // A reconnecting EventSource names the last event it received.
    let last_event = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let request = pb::WatchEventsRequest {
        starting_after: last_event.or(after).unwrap_or_default(),
        types,
    };
    let watch = upstream
        .events()
        .watch_events(caller.request(request))
        .await
        .map_err(answer)?
        .into_inner();
    let events = SseEvents {
        watch,
        style: P::TIMES,
        ended: false,
    };
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response())
}

/// The watched events as server-sent events; a watch that ends with an error
/// sends it as an `error` event and closes.
struct SseEvents {
    watch: tonic::Streaming<pb::WatchEventsResponse>,
    style: TimeStyle,
    ended: bool,
}

impl Stream for SseEvents {
    type Item = Result<SseEvent, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let style = self.style;
        // A reply without an event (the service's heartbeat) is skipped: the
        // stream sends its own comment lines.
        let event = loop {
            match Pin::new(&mut self.watch).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Ok(reply))) => {
                    if let Some(event) = reply.event {
                        break Ok(event);
                    }
                }
                Poll::Ready(Some(Err(status))) => break Err(status),
            }
        };
        match event {
            Ok(event) => {
                let data = serde_json::to_string(&EventJson::new(&event, style))
                    .unwrap_or_else(|_| "{}".to_owned());
                Poll::Ready(Some(Ok(SseEvent::default()
                    .id(event.id.as_str())
                    .event(event.r#type.as_str())
                    .data(data))))
            }
            Err(status) => {
                self.ended = true;
                let (_, kind, fixed) = crate::error::status_for(status.code());
                let body = serde_json::json!({
                    "error": { "type": kind, "message": fixed.unwrap_or(status.message()) }
                });
                Poll::Ready(Some(Ok(SseEvent::default()
                    .event("error")
                    .data(body.to_string()))))
            }
        }
    }
}
