import Foundation
@testable import HeraldServer
import HeraldTestSupport
import SlackAPI
import Testing

/// Alertmanager's webhook read by the scanner gives what JSONDecoder gives, and whatever the
/// scanner will not read is left to JSONDecoder (and its errors).
@Suite struct AlertmanagerScanTests {
    typealias Payload = EventsController.AlertmanagerPayload

    static let payload = #"""
        {"receiver":"herald","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighLatency","service":"checkout","severity":"critical"},"annotations":{"summary":"p99 \u00e9 > 2 s","runbook":"https:\/\/runbooks.example\/latency"},"startsAt":"2026-12-01T10:00:00.123Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph?g0.expr=x","fingerprint":"5d3f0a9c1b2e4f60"},{"status":"resolved","labels":{"alertname":"DiskFull"},"annotations":null,"startsAt":null}],"groupLabels":{"alertname":"HighLatency"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0}
        """#

    static func scanned(_ data: Data) -> Payload? {
        data.withUnsafeBytes { JSONScanner.read($0) { try Payload.scan(&$0) } }
    }

    static func foundation(_ data: Data) -> Payload? {
        try? JSONDecoder().decode(Payload.self, from: data)
    }

    /// Every field, compared (the payload types are not Equatable).
    static func same(_ a: Payload, _ b: Payload) -> Bool {
        a.version == b.version && a.alerts.count == b.alerts.count && zip(a.alerts, b.alerts).allSatisfy { x, y in
            x.status == y.status && x.labels == y.labels && x.annotations == y.annotations && x.startsAt == y.startsAt
                && x.endsAt == y.endsAt && x.generatorURL == y.generatorURL && x.fingerprint == y.fingerprint
        }
    }

    @Test("reads Alertmanager's webhook as JSONDecoder does")
    func reads() throws {
        let data = Data(Self.payload.utf8)
        let scanned = try #require(Self.scanned(data))
        let foundation = try #require(Self.foundation(data))
        #expect(Self.same(scanned, foundation))
        #expect(scanned.alerts.count == 2)
        #expect(scanned.alerts[0].annotations?["runbook"] == "https://runbooks.example/latency")
        #expect(scanned.alerts[1].annotations == nil && scanned.alerts[1].startsAt == nil)
    }

    @Test("leaves to JSONDecoder what it must refuse", arguments: [
        #"{"alerts":[{"labels":{}}]}"#, #"{"alerts":[{"status":"firing"}]}"#, #"{"alerts":null}"#, #"{"version":"4"}"#,
        #"{"alerts":[{"status":1,"labels":{}}]}"#, #"{"alerts":[{"status":"firing","labels":{"a":1}}]}"#,
        #"{"alerts":[{"status":"firing","labels":{"a":null}}]}"#, #"{"alerts":[],"version":4}"#, #"[]"#,
        #"{"alerts":[{"status":"firing","labels":{"a":"1","a":"2"}}]}"#, #"{"alerts":[],"alerts":[]}"#,
    ])
    func refuses(_ text: String) {
        #expect(Self.scanned(Data(text.utf8)) == nil)
    }

    @Test("the webhook mangled 4,000 ways: whatever the scanner reads, JSONDecoder reads alike")
    func mangled() {
        var rng = SeededGenerator(seed: 21)
        let original = Array(Self.payload.utf8)
        let pieces: [UInt8] = Array(#"{}[]",:"\ 0123456789.eE+-tfnulrabd"#.utf8) + [0x00, 0x09, 0x0A, 0xC3, 0xFF]
        var read = 0
        for _ in 0..<4_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[i] = pieces.randomElement(using: &rng)!
                case 1: bytes.remove(at: i)
                case 2: bytes.insert(pieces.randomElement(using: &rng)!, at: i)
                default: bytes = Array(bytes[..<i])
                }
                if bytes.isEmpty { break }
            }
            let data = Data(bytes)
            guard let scanned = Self.scanned(data) else { continue }
            read += 1
            let foundation = Self.foundation(data)
            #expect(foundation.map { Self.same(scanned, $0) } == true, "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(read > 100)
    }
}
