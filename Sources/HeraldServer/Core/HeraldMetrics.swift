import Foundation
import NIOConcurrencyHelpers
import Prometheus
import Vapor

/// The Prometheus registry behind `GET /metrics`, one per application (so tests do not share one).
/// The executable also bootstraps swift-metrics with it, so library metrics land here too.
final class HeraldMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// The metrics of one label set, made once: asking the registry for them by name and labels
    /// on every request was 1.4 % of Herald's CPU at one alert per request.
    fileprivate struct Handles: Sendable {
        var counter: Counter
        var histogram: DurationHistogram
        var extra: Counter?
    }

    private let handles = NIOLockedValueBox<[String: Handles]>([:])

    private func handles(_ key: String, make: () -> Handles) -> Handles {
        if let known = handles.withLockedValue({ $0[key] }) { return known }
        let made = make()
        handles.withLockedValue { $0[key] = made }
        return made
    }

    func recordRequest(method: String, route: String, status: UInt, duration: Duration) {
        handles("request \(method) \(status) \(route)") {
            Handles(
                counter: registry.makeCounter(
                    descriptor: .init(namespace: "herald", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route and status"),
                    labels: [("method", method), ("route", route), ("status", String(status))]),
                histogram: registry.makeDurationHistogram(
                    descriptor: .init(namespace: "herald", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
                    labels: [("method", method), ("route", route)],
                    buckets: Self.latencyBuckets))
        }.record(duration)
    }

    func exposition() -> String { registry.emitToString() }

    /// One shared transaction (group commit) of `kind` (intake, completions): how many items it
    /// carried and how long it took.
    func recordGroupCommit(_ kind: String, items: Int, duration: Duration) {
        let metrics = handles("group commit \(kind)") {
            Handles(
                counter: registry.makeCounter(
                    descriptor: .init(namespace: "herald", metricName: "group_commits", unitName: "total", helpText: "Shared write transactions by kind"),
                    labels: [("kind", kind)]),
                histogram: registry.makeDurationHistogram(
                    descriptor: .init(namespace: "herald", metricName: "group_commit_duration", unitName: "seconds", helpText: "Shared write transaction latency"),
                    labels: [("kind", kind)],
                    buckets: Self.latencyBuckets),
                extra: registry.makeCounter(
                    descriptor: .init(namespace: "herald", metricName: "group_commit_items", unitName: "total", helpText: "Items written by shared transactions"),
                    labels: [("kind", kind)]))
        }
        metrics.record(duration)
        metrics.extra?.increment(by: Int64(items))
    }

    /// One delivery attempt's outcome (sent, retry, failed, dead, superseded) and how long it took.
    func recordDelivery(sink: String, state: String, duration: Duration) {
        handles("delivery \(sink) \(state)") {
            Handles(
                counter: registry.makeCounter(
                    descriptor: .init(namespace: "herald", metricName: "delivery_attempts", unitName: "total", helpText: "Delivery attempts by sink and outcome"),
                    labels: [("sink", sink), ("state", state)]),
                histogram: registry.makeDurationHistogram(
                    descriptor: .init(namespace: "herald", metricName: "delivery_attempt_duration", unitName: "seconds", helpText: "Delivery attempt latency"),
                    labels: [("sink", sink)],
                    buckets: Self.latencyBuckets))
        }.record(duration)
    }

    /// Deliveries by sink and state, and the queue depth (pending, all processes), sampled by each
    /// worker about once a second.
    func setDeliveryCounts(_ counts: [(sink: String, state: String, count: Int)]) {
        var pending = 0
        for sink in Set(counts.map(\.sink)).union(["slack"]) {
            for state in DeliveryState.allCases {
                let n = counts.first { $0.sink == sink && $0.state == state.rawValue }?.count ?? 0
                if state == .pending { pending += n }
                registry.makeGauge(
                    descriptor: .init(namespace: "herald", metricName: "deliveries", unitName: "", helpText: "Deliveries by sink and state"),
                    labels: [("sink", sink), ("state", state.rawValue)]
                ).set(Double(n))
            }
        }
        registry.makeGauge(
            descriptor: .init(namespace: "herald", metricName: "delivery_queue", unitName: "depth", helpText: "Pending deliveries"),
            labels: []
        ).set(Double(pending))
    }
}

private extension HeraldMetrics.Handles {
    /// Counts one and records its duration.
    func record(_ duration: Duration) {
        counter.increment()
        histogram.recordNanoseconds(duration.nanoseconds)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, attos) = components
        return s * 1_000_000_000 + attos / 1_000_000_000
    }
}

/// Counts every request by its route pattern (never the raw path, which would explode the label
/// set) and status, and times it.
struct MetricsMiddleware: AsyncMiddleware {
    let metrics: HeraldMetrics

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            response = ProblemMiddleware.response(for: error, request: request)
        }
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code,
                              duration: clock.now - start)
        return response
    }
}

extension Application {
    /// The registry `GET /metrics` exposes, for bootstrapping swift-metrics in the executable.
    public var heraldMetricsRegistry: PrometheusCollectorRegistry { herald.metrics.registry }
}
