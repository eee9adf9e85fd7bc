//! Logging to stderr through `tracing`, filtered by `RUST_LOG`; built with the
//! `otel` feature, the same spans are also exported over OTLP/gRPC when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// What was installed; [`Telemetry::finish`] sends the spans still buffered.
#[must_use = "finish() flushes the spans still buffered"]
pub struct Telemetry {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

/// Installs the global subscriber; a second call (as in tests) is a no-op.
pub fn init() -> Telemetry {
    #[cfg(feature = "otel")]
    {
        let configured = [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
        if configured {
            return match otel::otlp_exporter() {
                Ok(exporter) => otel::install(|builder| builder.with_batch_exporter(exporter)),
                Err(error) => {
                    let telemetry = install_logs_only();
                    tracing::warn!(%error, "spans are not exported: the OTLP exporter failed");
                    telemetry
                }
            };
        }
    }
    install_logs_only()
}

fn fmt_layer<S>() -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

fn install_logs_only() -> Telemetry {
    let _ = tracing_subscriber::registry()
        .with(filter())
        .with(fmt_layer())
        .try_init();
    Telemetry {
        #[cfg(feature = "otel")]
        provider: None,
    }
}

impl Telemetry {
    /// Exports the spans still buffered and stops the exporter (at most a few
    /// seconds when the collector is unreachable).
    pub async fn finish(self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider {
            // Blocking: it waits for the export, which the runtime drives.
            let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        }
    }
}

#[cfg(feature = "otel")]
pub use otel::with_exporter;

#[cfg(feature = "otel")]
mod otel {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter, TracerProviderBuilder};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    use super::{Telemetry, filter, fmt_layer};

    /// OTLP over gRPC, configured by the standard `OTEL_EXPORTER_OTLP_*` variables.
    pub(super) fn otlp_exporter() -> Result<opentelemetry_otlp::SpanExporter, String> {
        opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
            .map_err(|e| e.to_string())
    }

    pub(super) fn install(
        exporting: impl FnOnce(TracerProviderBuilder) -> TracerProviderBuilder,
    ) -> Telemetry {
        let resource = Resource::builder().with_service_name("customerd").build();
        let provider = exporting(SdkTracerProvider::builder().with_resource(resource)).build();
        let spans = tracing_opentelemetry::layer().with_tracer(provider.tracer("customerd"));
        let _ = tracing_subscriber::registry()
            .with(filter())
            .with(fmt_layer())
            .with(spans)
            .try_init();
        Telemetry {
            provider: Some(provider),
        }
    }

    /// Logs as [`init`](super::init) does, and every span handed to
    /// `exporter` as soon as it ends (for tests and embedding).
    pub fn with_exporter<E: SpanExporter + 'static>(exporter: E) -> Telemetry {
        install(|builder| builder.with_simple_exporter(exporter))
    }
}
