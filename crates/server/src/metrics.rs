//! Prometheus metrics: the `metrics` facade with the Prometheus exporter, rendered by our own
//! route (`GET /_sluice/metrics`). One recorder per process.

use crate::state::AppState;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets in seconds (0.5 ms .. 60 s).
const LATENCY_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Installs the process-wide recorder (first call wins; later servers in the same process share it).
pub fn init() {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .ok()?;
        match builder.install_recorder() {
            Ok(h) => {
                start_upkeep();
                Some(h)
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        }
    });
}

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The exporter keeps every histogram sample until upkeep folds it into the buckets (a scrape
/// does too); without it, a server nobody scrapes grows by a few bytes per request, forever.
/// A thread of its own, so it runs whichever runtime (or none) the recorder was installed from.
fn start_upkeep() {
    let spawned = std::thread::Builder::new()
        .name("sluice-metrics".into())
        .spawn(|| loop {
            std::thread::sleep(UPKEEP_EVERY);
            if let Some(Some(handle)) = HANDLE.get() {
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "metrics upkeep thread not started: histograms grow until scraped");
    }
}

/// Status class label: `2xx`, `4xx`, ...
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records a finished request (time to the response head).
pub fn record_request(
    operation: &'static str,
    auth: &'static str,
    status: u16,
    bytes_in: u64,
    ttfb: Duration,
) {
    let class = status_class(status);
    counter!("sluice_requests_total", "operation" => operation, "status" => class, "auth" => auth)
        .increment(1);
    histogram!("sluice_request_ttfb_seconds", "operation" => operation).record(ttfb.as_secs_f64());
    counter!("sluice_bytes_in_total").increment(bytes_in);
}

/// Records the end of a response body (bytes sent and total duration).
pub fn record_response_end(operation: &'static str, bytes_out: u64, total: Duration) {
    counter!("sluice_bytes_out_total").increment(bytes_out);
    histogram!("sluice_request_duration_seconds", "operation" => operation)
        .record(total.as_secs_f64());
}

/// Outcome of a presigned request: accepted, expired, not_yet_valid, bad_signature, denied, ...
pub fn record_presigned(outcome: &'static str) {
    counter!("sluice_presigned_requests_total", "outcome" => outcome).increment(1);
}

/// A notification delivery attempt ended: `delivered`, `failed` (to be retried) or `dead_letter`.
pub fn notify_delivered(target: &str, outcome: &'static str) {
    counter!("sluice_notify_deliveries_total", "target" => target.to_string(), "outcome" => outcome)
        .increment(1);
}

/// An event reached its target `seconds` after its write committed.
pub fn notify_latency(target: &str, seconds: f64) {
    histogram!("sluice_notify_delivery_latency_seconds", "target" => target.to_string())
        .record(seconds);
}

/// Undelivered events and the age of the oldest, per notification target.
async fn notify_backlog_gauges(state: &AppState) {
    let mut targets: Vec<String> = state.meta.outbox_targets().await.unwrap_or_default();
    if let Ok(defined) = state.access.list_targets().await {
        for t in defined {
            if !targets.contains(&t.id) {
                targets.push(t.id);
            }
        }
    }
    targets.retain(|t| !crate::notify::feed::is_feed(t));
    let now = state.clock.now_ms();
    for t in targets {
        if let Ok((count, oldest)) = state.meta.outbox_backlog(&t).await {
            gauge!("sluice_notify_backlog_events", "target" => t.clone()).set(count as f64);
            let age = oldest.map_or(0.0, |ms| (now - ms).max(0) as f64 / 1000.0);
            gauge!("sluice_notify_backlog_oldest_seconds", "target" => t).set(age);
        }
    }
}

/// Events committed to the outbox for a target.
pub fn notify_emitted(target: &str, n: u64) {
    counter!("sluice_notify_events_emitted_total", "target" => target.to_string()).increment(n);
}

/// An upload's checks ended: `verdict` is `accepted`, or the check that refused it (`sniff`,
/// `image`, `hook`, `profile`).
pub fn upload_checked(verdict: &'static str) {
    counter!("sluice_upload_checks_total", "verdict" => verdict).increment(1);
}

/// A check hook answered (or failed) after `seconds`; `outcome` is `allow`, `refuse` or `error`.
pub fn check_hook(outcome: &'static str, seconds: f64) {
    histogram!("sluice_check_hook_seconds", "outcome" => outcome).record(seconds);
}

/// An upload flushed its buffer early (quiet client or spent body budget).
pub fn body_spill(buffered: usize) {
    counter!("sluice_body_spills_total").increment(1);
    counter!("sluice_body_spilled_bytes_total").increment(buffered as u64);
}

/// In-flight requests gauge.
pub fn in_flight(delta: f64) {
    gauge!("sluice_requests_in_flight").increment(delta);
}

/// Open connections gauge.
pub fn connections(delta: f64) {
    gauge!("sluice_connections_open").increment(delta);
}

/// Renders the exposition text, refreshing store and process gauges first.
pub async fn render(state: &AppState) -> String {
    if let Ok(buckets) = state.meta.list_buckets().await {
        for b in buckets {
            if let Ok(Some(u)) = state.meta.bucket_usage(&b.name).await {
                gauge!("sluice_bucket_objects", "bucket" => b.name.clone()).set(u.objects as f64);
                gauge!("sluice_bucket_bytes", "bucket" => b.name).set(u.bytes as f64);
            }
        }
    }
    if let Ok(n) = state.meta.count_open_uploads().await {
        gauge!("sluice_multipart_uploads_open").set(n as f64);
    }
    notify_backlog_gauges(state).await;
    gauge!("sluice_inflight_body_bytes").set(state.body_budget.in_use() as f64);
    gauge!("sluice_inflight_body_bytes_limit").set(state.body_budget.total() as f64);
    gauge!("sluice_body_budget_waiting").set(state.body_budget.waiting() as f64);
    process_gauges();
    match HANDLE.get().and_then(|h| h.as_ref()) {
        Some(h) => h.render(),
        None => String::new(),
    }
}

fn process_gauges() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for (field, name) in [
            ("VmRSS:", "process_resident_memory_bytes"),
            ("VmHWM:", "process_resident_memory_peak_bytes"),
        ] {
            if let Some(kib) = status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
            {
                gauge!(name).set(kib * 1024.0);
            }
        }
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        gauge!("process_open_fds").set(fds.count() as f64);
    }
}
