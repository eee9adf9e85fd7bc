//! Turns `WebhookEndpointService` requests into validated values. The URL's
//! address is checked by the service, which has to resolve it.

use customerd_wire::limits::WEBHOOK_ENABLED_EVENTS_MAX;
use customerd_wire::webhooks::FORMATS;

use super::{Changes, NewEndpoint, address};
use crate::db::entities::webhook_endpoint::EndpointStatus;
use crate::error::{Reason, Result};
use crate::events::Types;
use crate::paging::{self, PageRequest};
use crate::proto::customers::v1 as pb;
use crate::validation::{DESCRIPTION_MAX, Violations, shown};

/// The fields an update mask may name.
const MASKABLE: [&str; 4] = ["url", "enabled_events", "description", "status"];

fn url(v: &mut Violations, text: &str) {
    if text.is_empty() {
        v.add("url", Reason::Required, "is required");
    } else if v.text("url", text)
        && let Err(refused) = address::parse(text)
    {
        v.add("url", Reason::InvalidValue, refused.to_string());
    }
}

/// The patterns as given (trimmed), each naming known event types.
fn enabled_events(v: &mut Violations, patterns: &[String]) -> Vec<String> {
    let given: Vec<String> = patterns
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if given.is_empty() {
        v.add(
            "enabled_events",
            Reason::Required,
            "name at least one event type, a pattern such as 'customer.*', or '*'",
        );
    } else if given.len() > WEBHOOK_ENABLED_EVENTS_MAX {
        v.over_limit(
            "enabled_events",
            Reason::TooManyKeys,
            WEBHOOK_ENABLED_EVENTS_MAX,
            format!("name at most {WEBHOOK_ENABLED_EVENTS_MAX} event types or patterns"),
        );
    } else {
        // Commas separate the patterns where they are stored; no type has one.
        if given.iter().all(|p| v.text("enabled_events", p)) {
            Types::parse(v, "enabled_events", &given);
        }
    }
    given
}

fn description(v: &mut Violations, description: &Option<String>) {
    if let Some(text) = description
        && v.text("description", text)
    {
        v.max_chars("description", text, DESCRIPTION_MAX);
    }
}

pub fn new_endpoint(req: pb::CreateWebhookEndpointRequest) -> Result<NewEndpoint> {
    let mut v = Violations::default();
    url(&mut v, &req.url);
    let events = enabled_events(&mut v, &req.enabled_events);
    description(&mut v, &req.description);
    let format = if req.format.is_empty() {
        FORMATS[0].to_owned()
    } else if FORMATS.contains(&req.format.as_str()) {
        req.format
    } else {
        v.add(
            "format",
            Reason::InvalidValue,
            format!(
                "unknown format '{}': use one of {}",
                shown(&req.format),
                FORMATS.join(", ")
            ),
        );
        String::new()
    };
    v.finish(NewEndpoint {
        url: req.url,
        enabled_events: events,
        description: req.description,
        format,
    })
}

pub fn changes(req: pb::UpdateWebhookEndpointRequest) -> Result<Changes> {
    let mut v = Violations::default();
    let named = |field: &str| match &req.update_mask {
        Some(mask) => mask.paths.iter().any(|p| p == field),
        None => match field {
            "url" => req.url.is_some(),
            "enabled_events" => !req.enabled_events.is_empty(),
            "description" => req.description.is_some(),
            _ => req.status != 0,
        },
    };
    if let Some(mask) = &req.update_mask {
        for path in &mask.paths {
            if !MASKABLE.contains(&path.as_str()) {
                v.add(
                    "update_mask",
                    Reason::UnknownField,
                    format!(
                        "'{}' cannot be updated: use {}",
                        shown(path),
                        MASKABLE.join(", ")
                    ),
                );
            }
        }
    }
    let mut changes = Changes::default();
    if named("url") {
        let text = req.url.clone().unwrap_or_default();
        url(&mut v, &text);
        changes.url = Some(text);
    }
    if named("enabled_events") {
        changes.enabled_events = Some(enabled_events(&mut v, &req.enabled_events));
    }
    if named("description") {
        description(&mut v, &req.description);
        changes.description = Some(req.description.clone());
    }
    if named("status") {
        changes.status = match pb::WebhookEndpointStatus::try_from(req.status) {
            Ok(pb::WebhookEndpointStatus::Enabled) => Some(EndpointStatus::Enabled),
            Ok(pb::WebhookEndpointStatus::Disabled) => Some(EndpointStatus::Disabled),
            _ => {
                v.add(
                    "status",
                    Reason::InvalidValue,
                    "must be ENABLED or DISABLED",
                );
                None
            }
        };
    }
    v.finish(changes)
}

/// The paging of a list request, checked as every list's.
pub fn page(req: &impl paging::Paged) -> Result<PageRequest> {
    let mut v = Violations::default();
    let page = paging::parse(&mut v, req);
    v.finish(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(url: &str, events: &[&str]) -> pb::CreateWebhookEndpointRequest {
        pb::CreateWebhookEndpointRequest {
            url: url.into(),
            enabled_events: events.iter().map(|e| e.to_string()).collect(),
            ..Default::default()
        }
    }

    fn fields(result: Result<impl std::fmt::Debug>) -> Vec<String> {
        match result {
            Err(crate::error::Error::Invalid(v)) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn a_create_names_a_url_and_known_events() {
        let ok = new_endpoint(create("https://example.com/h", &["customer.*", " * "])).unwrap();
        assert_eq!(ok.enabled_events, ["customer.*", "*"]);
        assert_eq!(ok.format, "paygate");
        assert_eq!(fields(new_endpoint(create("", &["*"]))), ["url"]);
        assert_eq!(fields(new_endpoint(create("ftp://x/", &["*"]))), ["url"]);
        assert_eq!(
            fields(new_endpoint(create("https://x/", &[]))),
            ["enabled_events"]
        );
        assert_eq!(
            fields(new_endpoint(create("https://x/", &["invoice.paid"]))),
            ["enabled_events"]
        );
        let mut bad_format = create("https://x/", &["*"]);
        bad_format.format = "xml".into();
        assert_eq!(fields(new_endpoint(bad_format)), ["format"]);
    }

    #[test]
    fn an_update_changes_what_its_mask_names() {
        let req = pb::UpdateWebhookEndpointRequest {
            id: "we_1".into(),
            status: pb::WebhookEndpointStatus::Disabled as i32,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["status".into(), "description".into()],
            }),
            ..Default::default()
        };
        let changes = changes(req).unwrap();
        assert_eq!(changes.status, Some(EndpointStatus::Disabled));
        assert_eq!(changes.description, Some(None));
        assert!(changes.url.is_none() && changes.enabled_events.is_none());
        let unknown = pb::UpdateWebhookEndpointRequest {
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["secret".into()],
            }),
            ..Default::default()
        };
        assert_eq!(fields(super::changes(unknown)), ["update_mask"]);
    }
}
