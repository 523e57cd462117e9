import Foundation
import NIOConcurrencyHelpers
import Outbound
import Testing

@Suite("Outbound policy for tenant URLs")
struct OutboundPolicyTests {
    @Test("CIDR blocks", arguments: [
        ("169.254.0.0/16", "169.254.169.254", true),
        ("169.254.0.0/16", "169.255.0.1", false),
        ("169.254.0.0/16", "::ffff:169.254.169.254", true),
        ("fd00:ec2::254/128", "fd00:ec2::254", true),
        ("fd00:ec2::254/128", "fd00:ec2::253", false),
        ("fe80::/10", "febf::1", true),
        ("fe80::/10", "fec0::1", false),
        ("10.0.0.0/8", "10.255.255.255", true),
        ("10.0.0.0/8", "11.0.0.0", false),
        ("127.0.0.2/32", "127.0.0.1", false),
        ("127.0.0.2", "127.0.0.2", true),
        ("0.0.0.0/0", "8.8.8.8", true),
        ("0.0.0.0/0", "::1", false),
    ])
    func blocks(_ block: String, _ address: String, _ contained: Bool) throws {
        let cidr = try #require(CIDRBlock(block))
        let ip = try #require(IPAddress(address))
        #expect(cidr.contains(ip) == contained)
    }

    @Test("what is not a CIDR block or an address", arguments: ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0/8", "1.2.3.4/-1", "1.2.3.4/x"])
    func notBlocks(_ text: String) {
        #expect(CIDRBlock(text) == nil)
    }

    @Test("link-local and metadata addresses are always refused; an operator adds more")
    func policy() throws {
        let plain = OutboundAddressPolicy()
        #expect(plain.refusal(for: try #require(IPAddress("169.254.169.254"))) != nil)
        #expect(plain.refusal(for: try #require(IPAddress("fd00:ec2::254"))) != nil)
        #expect(plain.refusal(for: try #require(IPAddress("127.0.0.1"))) == nil)
        #expect(plain.refusal(for: try #require(IPAddress("0.0.0.0"))) != nil, "the unspecified address reaches local listeners")
        #expect(plain.refusal(for: try #require(IPAddress("::"))) != nil)
        #expect(!plain.refusesEverything)
        let shared = OutboundAddressPolicy(extraDenied: [try #require(CIDRBlock("127.0.0.0/8"))])
        #expect(shared.refusal(for: try #require(IPAddress("127.0.0.1")))?.description == "127.0.0.0/8")
        let closed = OutboundAddressPolicy(extraDenied: ["0.0.0.0/0", "::/0"].compactMap(CIDRBlock.init))
        #expect(closed.refusesEverything)
    }

    /// Resolves names from a table, and counts lookups.
    final class TableResolver: HostResolver, Sendable {
        let table: [String: [String]]
        let lookups = NIOLockedValueBox<[String]>([])
        init(_ table: [String: [String]]) { self.table = table }
        func addresses(of host: String, port: Int) async throws -> [IPAddress] {
            lookups.withLockedValue { $0.append(host) }
            if let literal = IPAddress(host) { return [literal] }
            guard let addresses = table[host] else { throw OutboundError.connection("no such host \(host)") }
            return addresses.compactMap(IPAddress.init)
        }
    }

    /// Answers 200 to everything and keeps what it was sent.
    final class Recorder: OutboundTransport, Sendable {
        let sent = NIOLockedValueBox<[OutboundRequest]>([])
        func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
            sent.withLockedValue { $0.append(request) }
            return OutboundResponse(status: 200)
        }
    }

    @Test("a name is refused when any address it resolves to is refused, and nothing is sent")
    func resolvedAtSendTime() async throws {
        let resolver = TableResolver(["metadata.evil.test": ["203.0.113.5", "169.254.169.254"], "ok.test": ["203.0.113.7"]])
        let recorder = Recorder()
        let guarded = GuardedTransport(inner: recorder, resolver: resolver, policy: OutboundAddressPolicy())
        await #expect(throws: OutboundError.self) {
            _ = try await guarded.send(OutboundRequest(method: "POST", url: URL(string: "https://metadata.evil.test/hook")!), timeout: .seconds(1))
        }
        #expect(recorder.sent.withLockedValue { $0 }.isEmpty)
        _ = try await guarded.send(OutboundRequest(method: "POST", url: URL(string: "https://ok.test/hook")!), timeout: .seconds(1))
        #expect(recorder.sent.withLockedValue { $0.map(\.url.absoluteString) } == ["https://ok.test/hook"], "https keeps its name for the certificate")
    }

    @Test("an http URL is sent to the address that was checked, with its Host kept")
    func pinned() async throws {
        let recorder = Recorder()
        let guarded = GuardedTransport(inner: recorder, resolver: TableResolver(["hooks.test": ["203.0.113.9"]]), policy: OutboundAddressPolicy())
        _ = try await guarded.send(OutboundRequest(method: "POST", url: URL(string: "http://hooks.test:8080/a/b?c=d")!), timeout: .seconds(1))
        let sent = try #require(recorder.sent.withLockedValue { $0.first })
        #expect(sent.url.absoluteString == "http://203.0.113.9:8080/a/b?c=d")
        #expect(sent.headers["host"] == "hooks.test:8080")
        // A name with only IPv6 addresses is pinned too.
        let v6 = Recorder()
        let guarded6 = GuardedTransport(inner: v6, resolver: TableResolver(["six.test": ["2001:db8::7"]]), policy: OutboundAddressPolicy())
        _ = try await guarded6.send(OutboundRequest(method: "POST", url: URL(string: "http://six.test/h%20x?q=1")!), timeout: .seconds(1))
        #expect(v6.sent.withLockedValue { $0.first?.url.absoluteString } == "http://[2001:db8::7]/h%20x?q=1")
        #expect(v6.sent.withLockedValue { $0.first?.headers["host"] } == "six.test")
    }

    /// Never answers.
    struct HangingResolver: HostResolver {
        func addresses(of host: String, port: Int) async throws -> [IPAddress] {
            try await Task.sleep(for: .seconds(3600))
            return []
        }
    }

    @Test("a lookup that hangs ends with the request's timeout, and nothing is sent")
    func lookupTimeout() async throws {
        let recorder = Recorder()
        let guarded = GuardedTransport(inner: recorder, resolver: HangingResolver(), policy: OutboundAddressPolicy())
        await #expect(throws: OutboundError.timeout) {
            _ = try await guarded.send(OutboundRequest(method: "POST", url: URL(string: "http://slow.test/")!), timeout: .milliseconds(50))
        }
        #expect(recorder.sent.withLockedValue { $0 }.isEmpty)
    }

    @Test("a refusal names neither the address nor the block")
    func refusalSaysLittle() async throws {
        let guarded = GuardedTransport(inner: Recorder(), resolver: TableResolver(["in.test": ["10.1.2.3"]]),
                                       policy: OutboundAddressPolicy(extraDenied: [try #require(CIDRBlock("10.0.0.0/8"))]))
        do {
            _ = try await guarded.send(OutboundRequest(method: "POST", url: URL(string: "https://in.test/")!), timeout: .seconds(1))
            Issue.record("sent")
        } catch let error as OutboundError {
            #expect(!error.description.contains("10.1.2.3") && !error.description.contains("10.0.0.0"))
        }
    }

    @Test("only http and https; a policy that refuses everything looks nothing up", arguments: ["ftp://a.test/x", "file:///etc/passwd", "gopher://a.test"])
    func schemes(_ url: String) async throws {
        let resolver = TableResolver([:])
        let guarded = GuardedTransport(inner: Recorder(), resolver: resolver, policy: OutboundAddressPolicy())
        await #expect(throws: OutboundError.self) { _ = try await guarded.send(OutboundRequest(method: "POST", url: URL(string: url)!), timeout: .seconds(1)) }
        let closed = GuardedTransport(inner: Recorder(), resolver: resolver,
                                      policy: OutboundAddressPolicy(extraDenied: ["0.0.0.0/0", "::/0"].compactMap(CIDRBlock.init)))
        await #expect(throws: OutboundError.self) {
            _ = try await closed.send(OutboundRequest(method: "POST", url: URL(string: "https://far.away.test/")!), timeout: .seconds(1))
        }
        #expect(resolver.lookups.withLockedValue { $0 }.isEmpty)
    }
}
