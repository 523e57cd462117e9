import Foundation

/// One outbound HTTP request: to Slack's Web API, or to a URL a tenant chose (a webhook).
public struct OutboundRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data?
    /// The most of the answer's body that is read; the rest is dropped (``OutboundResponse/truncated``).
    public var responseLimit: Int

    /// Enough for any webhook's answer; Slack's Web API client asks for more (channel lists).
    public static let defaultResponseLimit = 64 << 10

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil,
                responseLimit: Int = OutboundRequest.defaultResponseLimit) {
        self.method = method
        self.url = url
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { $1 }
        self.body = body
        self.responseLimit = responseLimit
    }
}

/// The answer to an ``OutboundRequest``.
public struct OutboundResponse: Sendable, Equatable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    /// At most the request's `responseLimit` bytes.
    public var body: Data
    /// The body went on beyond the limit and was not read further.
    public var truncated: Bool

    public init(status: Int, headers: [String: String] = [:], body: Data = Data(), truncated: Bool = false) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { $1 }
        self.body = body
        self.truncated = truncated
    }
}

/// Why a request got no answer.
public enum OutboundError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer within the request's timeout.
    case timeout
    /// The connection could not be made or broke.
    case connection(String)
    /// Herald will not send there: the URL is not http(s), or its host resolves to an address the
    /// outbound policy refuses (see ``OutboundAddressPolicy``).
    case refused(String)

    public var description: String {
        switch self {
        case .timeout: "timed out"
        case .connection(let reason): "connection failed: \(reason)"
        case .refused(let reason): "refused: \(reason)"
        }
    }
}

/// The one seam between Herald and the network for every outbound request (Slack's Web API and
/// every sink). Production uses AsyncHTTPClient on the delivery loop; tests replace it with an
/// emulation that checks what it receives. Implementations throw ``OutboundError``, never follow
/// redirects, and read at most the request's `responseLimit`.
public protocol OutboundTransport: Sendable {
    func send(_ request: OutboundRequest, timeout: Duration) async throws -> OutboundResponse
}
