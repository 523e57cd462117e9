import Foundation
import NIOSSL
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import Vapor

/// The bounds Herald's HTTP server holds every connection to.
struct HTTPLimits: Sendable {
    /// Request bodies of up to and including this many bytes are read; a larger one gets `413`.
    static let maxBodyBytes = 1 << 20
    /// The longest request line, and the longest header field; all header fields together too.
    static let maxFieldBytes = 80 * 1024
    /// How long the server waits for the client: for a request's head and body, and between
    /// requests (`HERALD_HTTP_IDLE_TIMEOUT`).
    var idleTimeout: TimeAmount
    /// How long a refused connection, half-closed, is read and drained before it is closed.
    var linger: TimeAmount { min(idleTimeout, .seconds(2)) }
}

/// Herald's HTTP/1.1 server, in place of Vapor's: the same responder (routes and middleware), on
/// NIO's pipeline, with ``HTTPConnectionHandler`` holding each connection to ``HTTPLimits``.
/// Vapor's own server closes a connection at once when the decoder fails, so a request already
/// applied lost its answer when junk followed it in the same write; its body reader refused a body
/// of exactly the limit, read a body whose `Content-Length` was over the limit until it came, and it
/// had no deadline for a request that never finishes.
///
/// `start` binds `app.http.server.configuration`'s host and port (or the address given), logs
/// where it listens, and `shutdown` quiesces: no new connections, idle ones closed, answers in
/// progress finished, within the configuration's `shutdownTimeout`.
final class HeraldHTTPServer: Server, Sendable {
    private struct Running: @unchecked Sendable {
        var channel: any Channel
        var quiesce: ServerQuiescingHelper
    }

    private let application: Application
    private let limits: HTTPLimits
    private let running = NIOLockedValueBox<Running?>(nil)
    /// The open connections, so that those still open when shutdown's time is up are closed.
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    init(application: Application, limits: HTTPLimits) {
        self.application = application
        self.limits = limits
    }

    var onShutdown: EventLoopFuture<Void> {
        running.withLockedValue { $0?.channel.closeFuture } ?? application.eventLoopGroup.any().makeSucceededVoidFuture()
    }

    /// The address it listens on, once started.
    var localAddress: SocketAddress? {
        running.withLockedValue { $0?.channel.localAddress }
    }

    @available(*, noasync, message: "Use the async start(address:)")
    func start(address: BindAddress?) throws {
        let promise = application.eventLoopGroup.any().makePromise(of: Void.self)
        promise.completeWithTask { try await self.start(address: address) }
        try promise.futureResult.wait()
    }

    func start(address: BindAddress?) async throws {
        guard running.withLockedValue({ $0 == nil }) else {
            throw Abort(.internalServerError, reason: "The HTTP server is already running")
        }
        var configuration = application.http.server.configuration
        switch address {
        case .none: break
        case .hostname(let hostname, let port):
            configuration.address = .hostname(hostname ?? configuration.hostname, port: port ?? configuration.port)
        case .unixDomainSocket: configuration.address = address!
        }
        let group = application.eventLoopGroup
        let quiesce = ServerQuiescingHelper(group: group)
        let responder = application.responder.current
        let limits = self.limits
        let application = self.application
        let connections = self.connections
        // HTTPS (HERALD_TLS_CERT, HERALD_TLS_KEY): the one context made at startup, for every connection.
        let tls = application.herald.configuration.tls?.context
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: Int32(configuration.backlog))
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: configuration.reuseAddress ? 1 : 0)
            .serverChannelOption(ChannelOptions.maxMessagesPerRead, value: configuration.connectionsPerServerTick)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = connections.withLockedValue { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    let watcher = HTTPLineWatcher(lineLimit: HTTPLimits.maxFieldBytes)
                    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
                    decoderLimits.maxHeaderFieldSize = HTTPLimits.maxFieldBytes
                    decoderLimits.maxHeaderListSize = HTTPLimits.maxFieldBytes
                    try channel.pipeline.syncOperations.addHandlers([
                        watcher,
                        HTTPResponseEncoder(),
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)),
                        HTTPServerPipelineHandler(),
                        NIOHTTPRequestDecompressor(limit: .size(HTTPLimits.maxBodyBytes)),
                        HTTPConnectionHandler(application: application, responder: responder, limits: limits, watcher: watcher),
                    ])
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: configuration.tcpNoDelay ? 1 : 0)
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: configuration.reuseAddress ? 1 : 0)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)

        let channel: any Channel
        do {
            switch configuration.address {
            case .hostname(let hostname, let port):
                channel = try await bootstrap.bind(host: hostname ?? configuration.hostname, port: port ?? configuration.port).get()
            case .unixDomainSocket(let path):
                channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
            }
        } catch {
            quiesce.initiateShutdown(promise: nil)
            throw error
        }
        try running.withLockedValue {
            guard $0 == nil else { throw Abort(.internalServerError, reason: "The HTTP server is already running") }
            $0 = Running(channel: channel, quiesce: quiesce)
        }
        let shown = channel.localAddress.map { address -> String in
            if let path = address.pathname { return "unix:\(path)" }
            let host = address.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? configuration.hostname
            return "\(tls == nil ? "http" : "https")://\(host):\(address.port ?? configuration.port)"
        } ?? "an unknown address"
        application.logger.notice("Server started on \(shown)")
    }

    @available(*, noasync, message: "Use the async shutdown()")
    func shutdown() {
        let promise = application.eventLoopGroup.any().makePromise(of: Void.self)
        promise.completeWithTask { await self.shutdown() }
        try? promise.futureResult.wait()
    }

    func shutdown() async {
        guard let current = running.withLockedValue({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        let timeout = application.http.server.configuration.shutdownTimeout
        let promise = current.channel.eventLoop.makePromise(of: Void.self)
        let deadline = current.channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Abort(.internalServerError, reason: "The HTTP server took longer than \(timeout.nanoseconds / 1_000_000_000) s to stop"))
        }
        current.quiesce.initiateShutdown(promise: promise)
        do {
            try await promise.futureResult.get()
        } catch {
            // Connections still receiving a request or waiting for an answer: closed now.
            let left = connections.withLockedValue { Array($0.values) }
            application.logger.warning("closing \(left.count) HTTP connections still open after \(timeout.nanoseconds / 1_000_000_000) s of shutdown")
            for channel in left { channel.close(promise: nil) }
        }
        deadline.cancel()
    }
}
