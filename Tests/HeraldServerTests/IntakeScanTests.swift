import Foundation
@testable import HeraldServer
import HeraldTestSupport
import SlackAPI
import Testing

/// Intake's bodies read by the scanner give what JSONDecoder gives, and whatever the scanner will
/// not read is left to JSONDecoder (and its errors).
@Suite struct IntakeScanTests {
    typealias Payload = EventsController.AlertmanagerPayload
    typealias Body = EventBody

    static let payload = #"""
        {"receiver":"herald","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighLatency","service":"checkout","severity":"critical"},"annotations":{"summary":"p99 \u00e9 > 2 s","runbook":"https:\/\/runbooks.example\/latency"},"startsAt":"2026-12-01T10:00:00.123Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph?g0.expr=x","fingerprint":"5d3f0a9c1b2e4f60"},{"status":"resolved","labels":{"alertname":"DiskFull"},"annotations":null,"startsAt":null}],"groupLabels":{"alertname":"HighLatency"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0}
        """#

    static let event = #"""
        {"type":"incident","action":"trigger","key":"db-primary-down","title":"Primary database down \ud83d\udd25","text":null,"severity":"critical","service":"checkout","tags":{"env":"prod","region":"eu-west-1"},"link":"https://grafana.example/d/abc","at":"2026-12-01T10:00:00Z","extra":[1,2.5e3,true,{"x":null}]}
        """#

    static func scan<T: JSONScannable>(_ data: Data, as: T.Type) -> T? {
        data.withUnsafeBytes { JSONScanner.read($0) { try T.scan(&$0) } }
    }

    static func foundation<T: Decodable>(_ data: Data, as: T.Type) -> T? {
        try? JSONDecoder().decode(T.self, from: data)
    }

    /// Every field, compared (the payload types are not Equatable).
    static func same(_ a: Payload, _ b: Payload) -> Bool {
        a.version == b.version && a.alerts.count == b.alerts.count && zip(a.alerts, b.alerts).allSatisfy { x, y in
            x.status == y.status && x.labels == y.labels && x.annotations == y.annotations && x.startsAt == y.startsAt
                && x.endsAt == y.endsAt && x.generatorURL == y.generatorURL && x.fingerprint == y.fingerprint
        }
    }

    static func same(_ a: Body, _ b: Body) -> Bool {
        a.type == b.type && a.action == b.action && a.key == b.key && a.title == b.title && a.text == b.text
            && a.description == b.description && a.severity == b.severity && a.service == b.service
            && a.tags?.values == b.tags?.values && a.rule == b.rule && a.link == b.link && a.at == b.at
    }

    /// `original` mangled 4,000 seeded ways: each time the scanner reads the result, JSONDecoder
    /// must read it alike. Returns how many the scanner read.
    static func mangledAgree<T: JSONScannable & Decodable>(_ original: String, as type: T.Type, seed: UInt64,
                                                           same: (T, T) -> Bool) -> Int {
        var read = 0
        for bytes in mangled(original, count: 4_000, seed: seed) {
            let data = Data(bytes)
            guard let scanned = scan(data, as: T.self) else { continue }
            read += 1
            #expect(foundation(data, as: T.self).map { same(scanned, $0) } == true, "\(String(decoding: bytes, as: UTF8.self))")
        }
        return read
    }

    @Test("reads Alertmanager's webhook as JSONDecoder does")
    func readsWebhook() throws {
        let data = Data(Self.payload.utf8)
        let scanned = try #require(Self.scan(data, as: Payload.self))
        #expect(Self.same(scanned, try #require(Self.foundation(data, as: Payload.self))))
        #expect(scanned.alerts.count == 2)
        #expect(scanned.alerts[0].annotations?["runbook"] == "https://runbooks.example/latency")
        #expect(scanned.alerts[1].annotations == nil && scanned.alerts[1].startsAt == nil)
    }

    @Test("reads an event as JSONDecoder does")
    func readsEvent() throws {
        let data = Data(Self.event.utf8)
        let scanned = try #require(Self.scan(data, as: Body.self))
        #expect(Self.same(scanned, try #require(Self.foundation(data, as: Body.self))))
        #expect(scanned.title == "Primary database down 🔥" && scanned.text == nil)
        #expect(scanned.tags?.values == ["env": "prod", "region": "eu-west-1"])
    }

    @Test("leaves to JSONDecoder the webhooks it must refuse", arguments: [
        #"{"alerts":[{"labels":{}}]}"#, #"{"alerts":[{"status":"firing"}]}"#, #"{"alerts":null}"#, #"{"version":"4"}"#,
        #"{"alerts":[{"status":1,"labels":{}}]}"#, #"{"alerts":[{"status":"firing","labels":{"a":1}}]}"#,
        #"{"alerts":[{"status":"firing","labels":{"a":null}}]}"#, #"{"alerts":[],"version":4}"#, #"[]"#,
        #"{"alerts":[{"status":"firing","labels":{"a":"1","a":"2"}}]}"#, #"{"alerts":[],"alerts":[]}"#,
    ])
    func refusesWebhook(_ text: String) {
        #expect(Self.scan(Data(text.utf8), as: Payload.self) == nil)
    }

    @Test("leaves to JSONDecoder the events it must refuse, or reads otherwise", arguments: [
        #"{"title":"x"}"#, #"{"type":null}"#, #"{"type":1}"#, #"{"type":"incident","key":5}"#, #"{"type":"incident","tags":[]}"#,
        #"{"type":"incident","tags":{"n":1}}"#, #"{"type":"incident","tags":{"b":true}}"#, #"{"type":"x","type":"y"}"#, #""incident""#,
    ])
    func refusesEvent(_ text: String) {
        #expect(Self.scan(Data(text.utf8), as: Body.self) == nil)
    }

    @Test("the webhook mangled 4,000 ways: whatever the scanner reads, JSONDecoder reads alike")
    func mangledWebhook() {
        #expect(Self.mangledAgree(Self.payload, as: Payload.self, seed: 21, same: Self.same) > 100)
    }

    @Test("an event mangled 4,000 ways: whatever the scanner reads, JSONDecoder reads alike")
    func mangledEvent() {
        #expect(Self.mangledAgree(Self.event, as: Body.self, seed: 22, same: Self.same) > 100)
    }
}
