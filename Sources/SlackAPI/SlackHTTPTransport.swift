import Foundation

/// One HTTP request to Slack (or to anything that speaks Slack's protocol, such as the sandbox).
public struct SlackHTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data?

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) })
        self.body = body
    }
}

/// Slack's answer.
public struct SlackHTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) })
        self.body = body
    }
}

/// Failures below HTTP: the request never got an answer.
public enum SlackTransportError: Error, Sendable, Equatable {
    case timeout
    case connection(String)
}

/// The seam between the Slack client and the network. Production uses AsyncHTTPClient; tests use
/// recorded responses or the in-process sandbox. Implementations throw ``SlackTransportError``.
public protocol SlackHTTPTransport: Sendable {
    func send(_ request: SlackHTTPRequest, timeout: Duration) async throws -> SlackHTTPResponse
}
