import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Addresses Herald never sends to (SPEC §5): link-local and cloud-metadata addresses always, plus
/// what the operator adds with `HERALD_OUTBOUND_DENY` (loopback and private ranges in a shared install).
public struct OutboundAddressPolicy: Sendable, Equatable {
    /// Always refused: IPv4 link-local (where cloud metadata lives, 169.254.169.254), IPv6
    /// link-local, AWS's IPv6 metadata address, and the unspecified addresses (`0.0.0.0/8`, `::`),
    /// which reach the machine's own listeners on Linux.
    public static let alwaysDenied: [CIDRBlock] = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/8", "::/128"]
        .compactMap(CIDRBlock.init)

    public var denied: [CIDRBlock]

    public init(extraDenied: [CIDRBlock] = []) {
        denied = Self.alwaysDenied + extraDenied
    }

    /// Whether every address of both families is refused (`0.0.0.0/0` and `::/0`): then nothing
    /// needs resolving to know the answer.
    public var refusesEverything: Bool {
        denied.contains { $0.prefixLength == 0 && $0.address.isIPv4 } && denied.contains { $0.prefixLength == 0 && !$0.address.isIPv4 }
    }

    /// The block that refuses `address`, if any.
    public func refusal(for address: IPAddress) -> CIDRBlock? {
        denied.first { $0.contains(address) }
    }
}

/// Turns a host name into addresses at send time. Tests replace it to refuse a name that resolves
/// somewhere forbidden without any real lookup.
public protocol HostResolver: Sendable {
    func addresses(of host: String, port: Int) async throws -> [IPAddress]
}

/// The system's resolver (`getaddrinfo`, off the calling thread: it blocks). Literals are parsed, never looked up.
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func addresses(of host: String, port: Int) async throws -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.lookUp(host, port: port) })
            }
        }
    }

    static func lookUp(_ host: String, port: Int) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw OutboundError.connection("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor?.pointee {
            if let sockaddr = info.ai_addr {
                if info.ai_family == AF_INET {
                    let bytes = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                    }
                    if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                } else if info.ai_family == AF_INET6 {
                    let bytes = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                }
            }
            cursor = info.ai_next
        }
        guard !addresses.isEmpty else { throw OutboundError.connection("\(host) has no address") }
        return addresses
    }
}

/// The transport for URLs a tenant chose: only `http` and `https`; the host is resolved at send
/// time and refused when any of its addresses is denied by the policy (a name cannot hide a
/// forbidden address behind an allowed one).
///
/// An `http` URL is then sent to the address that was checked (IPv4 first, else IPv6; its `Host`
/// header kept), so the name cannot resolve elsewhere between the check and the connection. An `https` URL keeps its
/// name, which its certificate is verified against: a name re-pointed at an internal address
/// after the check reaches a server that cannot present a certificate for it.
public struct GuardedTransport: OutboundTransport {
    public let inner: any OutboundTransport
    public let resolver: any HostResolver
    public let policy: OutboundAddressPolicy

    public init(inner: any OutboundTransport, resolver: any HostResolver = SystemHostResolver(), policy: OutboundAddressPolicy) {
        self.inner = inner
        self.resolver = resolver
        self.policy = policy
    }

    public func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse {
        var request = request
        let url = request.url
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw OutboundError.refused("only http and https URLs are sent to")
        }
        guard let host = url.host(percentEncoded: false), !host.isEmpty else { throw OutboundError.refused("the URL has no host") }
        // A literal address is checked as it is (no lookup, nothing to wait for): the common case
        // costs no task and no timer.
        if let literal = IPAddress(host) {
            try refuse([literal], host: host)
            return try await inner.send(request, timeout: timeout)
        }
        if policy.refusesEverything { throw OutboundError.refused("outbound requests to tenant URLs are turned off (HERALD_OUTBOUND_DENY)") }
        let clock = ContinuousClock()
        let started = clock.now
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let resolver = self.resolver
        // The lookup counts against the request's timeout (a resolver that hangs costs no more).
        let addresses = try await withThrowingTaskGroup(of: [IPAddress]?.self) { group in
            group.addTask { try await resolver.addresses(of: host, port: port) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let found = first else { throw OutboundError.timeout }
            return found
        }
        try refuse(addresses, host: host)
        if scheme == "http" {
            guard let pinned = Self.pin(url, host: host, to: addresses) else {
                throw OutboundError.refused("the URL cannot be sent to the address its host resolves to")
            }
            request.url = pinned.url
            request.headers["host"] = pinned.host
        }
        return try await inner.send(request, timeout: timeout - (clock.now - started))
    }

    /// Refuses the request when any address the host has is denied. Which address and which block
    /// are not said: a tenant must not map the network through errors.
    func refuse(_ addresses: [IPAddress], host: String) throws {
        if addresses.contains(where: { policy.refusal(for: $0) != nil }) {
            throw OutboundError.refused("\(host) resolves to an address Herald does not send to")
        }
    }

    /// The `http` URL rewritten to the address that was checked (IPv4 first), and its Host header.
    static func pin(_ url: URL, host: String, to addresses: [IPAddress]) -> (url: URL, host: String)? {
        guard let address = addresses.first(where: \.isIPv4) ?? addresses.first,
              let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return nil }
        let portText = url.port.map { ":\($0)" } ?? ""
        let query = components.percentEncodedQuery.map { "?\($0)" } ?? ""
        guard let pinned = URL(string: "http://\(address.urlHost)\(portText)\(components.percentEncodedPath)\(query)") else { return nil }
        return (pinned, url.port.map { "\(host):\($0)" } ?? host)
    }
}
