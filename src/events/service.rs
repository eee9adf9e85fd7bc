//! The `customers.v1.EventService` gRPC API.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use super::Types;
use super::hub::{Hub, Watch};
use super::log::{self, ListQuery};
use crate::auth::Tenant;
use crate::error::{Error, Reason, Result};
use crate::proto::customers::v1 as pb;
use crate::proto::customers::v1::event_service_server::EventService;
use crate::validation::Violations;

/// Page sizes of `ListEvents`, as every list's.
const LIMIT_DEFAULT: u64 = 10;
const LIMIT_MAX: i32 = customerd_wire::limits::PAGE_MAX;

pub struct EventApi {
    db: DatabaseConnection,
    hub: Hub,
    retention: Duration,
}

impl EventApi {
    pub fn new(db: DatabaseConnection, hub: Hub, retention: Duration) -> Self {
        Self { db, hub, retention }
    }

    /// The stream number of event `id`, which a reader resumes after: NOT_FOUND
    /// for an id the tenant never had, FAILED_PRECONDITION for one older than
    /// the retention (pruned).
    async fn position_of(&self, tenant: &Tenant, field: &str, id: &str) -> Result<i64> {
        if !crate::ids::is_time_ordered(id, "evt_") {
            return Err(Error::invalid(
                field,
                Reason::InvalidValue,
                format!(
                    "'{}' is not an event id (evt_ and 24 hex characters)",
                    crate::validation::shown(id)
                ),
            ));
        }
        if let Some(seq) = log::seq_of(&self.db, tenant, id).await? {
            return Ok(seq);
        }
        let horizon = crate::ids::now_micros() - self.retention.as_micros() as i64;
        match crate::ids::created_micros(id, "evt_") {
            Some(at) if at < horizon => Err(Error::FailedPrecondition(format!(
                "{field}: event '{}' is older than the event retention ({}) and no longer kept; \
                 list events to find where to resume",
                crate::validation::shown(id),
                humantime(self.retention)
            ))),
            _ => Err(Error::not_found("event", id)),
        }
    }
}

impl EventApi {
    /// The stream number a list cursor names, if one was given.
    async fn cursor(&self, tenant: &Tenant, field: &str, id: &str) -> Result<Option<i64>> {
        if id.is_empty() {
            return Ok(None);
        }
        self.position_of(tenant, field, id).await.map(Some)
    }
}

fn humantime(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[tonic::async_trait]
impl EventService for EventApi {
    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::default();
        let limit = v.limit(req.limit, LIMIT_DEFAULT, LIMIT_MAX);
        let (created_gte, created_lte) =
            v.created_range(req.created_gte.as_ref(), req.created_lte.as_ref());
        if req.offset < 0 {
            v.add("offset", Reason::OutOfRange, "must not be negative");
        } else if req.offset > 0 && !(req.starting_after.is_empty() && req.ending_before.is_empty())
        {
            v.add(
                "offset",
                Reason::MutuallyExclusive,
                "offset cannot be combined with a cursor",
            );
        }
        if !req.starting_after.is_empty() && !req.ending_before.is_empty() {
            v.add(
                "ending_before",
                Reason::MutuallyExclusive,
                "starting_after and ending_before are mutually exclusive",
            );
        }
        v.text("starting_after", &req.starting_after);
        v.text("ending_before", &req.ending_before);
        let types = Types::parse(&mut v, "types", &req.types);
        v.finish(())?;
        let before = self
            .cursor(&tenant, "starting_after", &req.starting_after)
            .await?;
        let after = self
            .cursor(&tenant, "ending_before", &req.ending_before)
            .await?;
        let page = log::list(
            &self.db,
            &tenant,
            &ListQuery {
                limit,
                before,
                after,
                types,
                created_gte,
                created_lte,
                offset: req.offset.max(0) as u64,
                include_total: req.include_total_count,
            },
        )
        .await?;
        Ok(Response::new(pb::ListEventsResponse {
            events: page.events,
            has_more: page.has_more,
            total_count: page.total.map(crate::proto::count),
        }))
    }

    async fn get_event(
        &self,
        request: Request<pb::GetEventRequest>,
    ) -> Result<Response<pb::GetEventResponse>, Status> {
        let tenant = Tenant::of(&request)?;
        let event = log::get(&self.db, &tenant, &request.get_ref().id).await?;
        Ok(Response::new(pb::GetEventResponse { event: Some(event) }))
    }

    type WatchEventsStream = Watch;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Watch>, Status> {
        let tenant = Tenant::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::default();
        let types = Types::parse(&mut v, "types", &req.types);
        v.text("starting_after", &req.starting_after);
        v.finish(())?;
        let position = if req.starting_after.is_empty() {
            self.hub.head(&tenant).await?
        } else {
            self.position_of(&tenant, "starting_after", &req.starting_after)
                .await?
        };
        Ok(Response::new(self.hub.watch(tenant, position, types).await))
    }
}
