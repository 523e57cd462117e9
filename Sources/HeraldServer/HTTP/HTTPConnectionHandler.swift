import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import Vapor

/// One HTTP/1 connection of ``HeraldHTTPServer``: reads each request whole (head and body, within
/// the limits), hands it to Vapor's responder, writes the answer, and holds the connection to its
/// bounds. It sits after NIO's pipelining handler, so it sees one request at a time, and the
/// decoder's errors only once the answers to the requests before them are written.
///
/// - A request whose `Content-Length` is over the body limit is answered `413` from its head,
///   before any body is read or anyone is authenticated; a body that grows over it, likewise.
/// - `Expect: 100-continue` gets its interim `100` once the head is accepted.
/// - A request the decoder cannot parse gets `400` (`414` for an over-long request line, `431`
///   for over-long header fields), after every request before it has been answered.
/// - While Herald waits for the client (a request's head or body, or the next request), a
///   deadline runs; when it passes, a partial request is answered `408` and the connection closed.
///   An answer the client does not read is held to the same bound, and so is a closing connection.
/// - After a refusal the connection is half-closed: the answer and a FIN go out, what the client
///   still sends is read and dropped for a moment, then the connection closes, so the client reads
///   the answer instead of a reset.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for a request's head (the deadline runs).
        case idle
        /// The head is in; the body is being read into `body` (the deadline runs).
        case receiving(HTTPRequestHead)
        /// The request is with the responder.
        case responding
        /// Refused, or answered last: nothing more is read into a request or written.
        case closing
    }

    private let application: Application
    private let responder: any Responder
    private let limits: HTTPLimits
    private let watcher: HTTPLineWatcher
    private var state = State.idle
    /// The body read so far (kept out of `state`, so appending to it copies nothing).
    private var body: ByteBuffer?
    private var wait = Wait.none
    private var deadlineTask: Scheduled<Void>?
    private var dateHeader = HTTPDateHeader()

    /// What the one deadline of the connection is for.
    fileprivate enum Wait {
        case none
        /// For the client to send a whole request; the bytes it had sent when this began.
        case forClient(NIODeadline, receivedBytes: Int)
        /// For an answer to be written out (a client that reads nothing must not hold the connection).
        case forWrite(NIODeadline)
    }

    init(application: Application, responder: any Responder, limits: HTTPLimits, watcher: HTTPLineWatcher) {
        self.application = application
        self.responder = responder
        self.limits = limits
        self.watcher = watcher
    }

    // MARK: Events

    func channelActive(context: ChannelHandlerContext) {
        startWaiting(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadlineTask?.cancel()
        deadlineTask = nil
        state = .closing
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlineTask?.cancel()
        deadlineTask = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (Self.unwrapInboundIn(data), state) {
        case (_, .closing):
            return
        case (.head(let head), .idle):
            accept(head, context: context)
        case (.body(var chunk), .receiving):
            guard (body?.readableBytes ?? 0) + chunk.readableBytes <= HTTPLimits.maxBodyBytes else {
                refuse(.payloadTooLarge, Self.tooLarge, context: context)
                return
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case (.end, .receiving(let head)):
            wait = .none
            let collected = body
            body = nil
            respond(to: head, body: collected, context: context)
        default:
            // The pipelining handler delivers parts in order, one request at a time; anything
            // else is a broken stream.
            refuse(.badRequest, "The request could not be read", context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .closing:
            return
        case .responding:
            // NIO's pipelining handler holds the decoder's errors back until the answer in progress
            // is written, and no body is read meanwhile: what comes now is the connection breaking.
            state = .closing
            context.close(promise: nil)
        case .idle, .receiving:
            answer(error, context: context)
        }
    }

    // MARK: Requests

    private func accept(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        // NIO's decoder has already refused an invalid or repeated Content-Length (answered 400).
        if let length = head.headers.first(name: "content-length"), let bytes = Int(length), bytes > HTTPLimits.maxBodyBytes {
            refuse(.payloadTooLarge, Self.tooLarge, context: context)
            return
        }
        state = .receiving(head)
        body = nil
        // A request the pipelining handler held back arrives while the answer before it is being
        // written, before any deadline was set for it: it gets one from now.
        if case .forClient = wait {} else { startWaiting(context: context) }
        let expectations = head.headers[canonicalForm: "expect"]
        if !expectations.isEmpty {
            guard expectations.allSatisfy({ $0.lowercased() == "100-continue" }) else {
                refuse(.expectationFailed, "Herald meets only the expectation 100-continue", context: context)
                return
            }
            if head.version.major == 1, head.version.minor >= 1 {
                context.writeAndFlush(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        }
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        state = .responding
        let request = Request(application: application, method: head.method, url: URI(string: head.uri), version: head.version,
                              headersNoUpdate: head.headers, collectedBody: body, remoteAddress: context.channel.remoteAddress,
                              logger: application.logger, byteBufferAllocator: context.channel.allocator, on: context.eventLoop)
        let isHead = head.method == .HEAD
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        responder.respond(to: request).hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success(let response):
                if let buffer = response.body.buffer {
                    handler.write(response, body: buffer, omitBody: isHead, keepAlive: keepAlive, context: context)
                } else {
                    response.body.collect(on: context.eventLoop).whenComplete { collected in
                        let (handler, context) = loopBound.value
                        switch collected {
                        case .success(let buffer):
                            handler.write(response, body: buffer, omitBody: isHead, keepAlive: keepAlive, context: context)
                        case .failure(let error):
                            handler.application.logger.report(error: error)
                            handler.refuse(.internalServerError, "The response could not be produced", context: context)
                        }
                    }
                }
            case .failure(let error):
                handler.application.logger.report(error: error)
                handler.refuse(.internalServerError, "An internal error occurred; it has been logged", context: context)
            }
        }
    }

    /// Writes one whole response; the next request (already read and held by the pipelining
    /// handler) may arrive while `.end` is written, so the state is settled before.
    private func write(_ response: Response, body: ByteBuffer?, omitBody: Bool, keepAlive: Bool, context: ChannelHandlerContext) {
        guard case .responding = state else { return }
        let close = !keepAlive || response.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
        var headers = response.headers
        let hasBody = response.status.code >= 200 && response.status != .noContent && response.status != .notModified
        if hasBody { headers.replaceOrAdd(name: "content-length", value: String(body?.readableBytes ?? 0)) }
        headers.remove(name: "transfer-encoding")
        headers.replaceOrAdd(name: "connection", value: close ? "close" : "keep-alive")
        headers.replaceOrAdd(name: "date", value: dateHeader.now())
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: response.version, status: response.status, headers: headers))), promise: nil)
        if hasBody, !omitBody, let body, body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        if close {
            state = .closing
            closeAtLatest(in: limits.idleTimeout, context: context)
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        // Settled before `.end` is written: the next request, held back by the pipelining handler,
        // may arrive while it is.
        state = .idle
        wait = .forWrite(.now() + limits.idleTimeout)
        armTimer(context: context)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenSuccess {
            let (handler, context) = loopBound.value
            // Written out: from now the client has the idle bound to send its next request.
            if case .forWrite = handler.wait, case .idle = handler.state { handler.startWaiting(context: context) }
            else if case .forWrite = handler.wait { handler.wait = .none }
        }
    }

    // MARK: Refusals

    static let tooLarge = "The request body is larger than the limit of 1 MiB (1,048,576 bytes)"

    /// The answer to an error of the decoder, the decompressor, or the connection itself.
    private func answer(_ error: any Error, context: ChannelHandlerContext) {
        switch error {
        case let parser as HTTPParserError:
            switch parser {
            case .headerOverflow where watcher.overlongLineIsRequestLine:
                refuse(.uriTooLong, "The request line is longer than \(HTTPLimits.maxFieldBytes / 1024) KiB", context: context)
            case .headerOverflow:
                refuse(.requestHeaderFieldsTooLarge, "A header field, or all of them, is larger than \(HTTPLimits.maxFieldBytes / 1024) KiB", context: context)
            case .invalidVersion:
                refuse(.httpVersionNotSupported, "Herald speaks HTTP/1.0 and HTTP/1.1", context: context)
            case .invalidContentLength, .unexpectedContentLength:
                refuse(.badRequest, "The request's Content-Length is invalid or repeated", context: context)
            case .invalidChunkSize:
                refuse(.badRequest, "The request's chunked body has an invalid chunk size", context: context)
            default:
                refuse(.badRequest, "The request is not valid HTTP/1.1 (\(parser))", context: context)
            }
        case NIOHTTPDecompression.DecompressionError.limit:
            refuse(.payloadTooLarge, Self.tooLarge, context: context)
        case is NIOHTTPDecompression.DecompressionError, is NIOHTTPDecompression.ExtraDecompressionError:
            refuse(.badRequest, "The request body could not be decompressed", context: context)
        default:
            // A broken connection (reset, or the decoder's state after its own error): nothing to answer.
            state = .closing
            context.close(promise: nil)
        }
    }

    /// Answers `status` with a problem, closes the output after it, and drops what still comes.
    /// With `beforeAnyHead` (a deadline passed inside a request's head), the answer is written past
    /// NIO's pipelining handler, which allows no response before a request has begun.
    private func refuse(_ status: HTTPResponseStatus, _ detail: String, context handlerContext: ChannelHandlerContext,
                        beforeAnyHead: Bool = false) {
        guard !isClosing else { return }
        body = nil
        let context = beforeAnyHead
            ? ((try? handlerContext.pipeline.syncOperations.context(handlerType: HTTPServerPipelineHandler.self)) ?? handlerContext)
            : handlerContext
        state = .closing
        wait = .none
        closeAtLatest(in: limits.idleTimeout + limits.linger, context: context)
        let problem = ProblemMiddleware.encode(ProblemBody(type: "about:blank", title: status.reasonPhrase, status: Int(status.code),
                                                        detail: detail, instance: nil, field: nil, errors: nil))
        var buffer = context.channel.allocator.buffer(capacity: problem.count)
        buffer.writeBytes(problem)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/problem+json")
        headers.add(name: "content-length", value: String(buffer.readableBytes))
        headers.add(name: "connection", value: "close")
        headers.add(name: "date", value: dateHeader.now())
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let channel = context.channel
        let linger = limits.linger
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            // Half-close: the client reads the answer and a FIN; what it still sends is dropped,
            // and the connection closes when it closes its side or the linger passes.
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
        }
    }

    private var isClosing: Bool {
        if case .closing = state { return true }
        return false
    }

    // MARK: The deadline

    /// Waits for the client from now: its next request's head and body must arrive within the bound.
    private func startWaiting(context: ChannelHandlerContext) {
        wait = .forClient(.now() + limits.idleTimeout, receivedBytes: watcher.receivedBytes)
        armTimer(context: context)
    }

    /// One scheduled task per connection: when it fires before the current deadline (which moved
    /// on), it sets itself again for that one.
    private func armTimer(context: ChannelHandlerContext) {
        guard deadlineTask == nil, let deadline = wait.deadline else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadlineTask = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.deadlineTask = nil
            handler.deadlinePassed(context: context)
        }
    }

    private func deadlinePassed(context: ChannelHandlerContext) {
        guard !isClosing, let deadline = wait.deadline else { return }
        if deadline > .now() {
            armTimer(context: context)
            return
        }
        let detail = "The request did not arrive whole within \(limits.idleTimeout.nanoseconds / 1_000_000_000) seconds"
        switch (wait, state) {
        case (.forClient, .receiving):
            refuse(.requestTimeout, detail, context: context)
        case (.forClient(_, let receivedBytes), _) where watcher.receivedBytes > receivedBytes:
            refuse(.requestTimeout, detail, context: context, beforeAnyHead: true)
        default:
            // Idle, or an answer the client does not read.
            state = .closing
            context.close(promise: nil)
        }
    }

    /// A connection that is closing is closed by then, whatever its writes are waiting for.
    private func closeAtLatest(in delay: TimeAmount, context: ChannelHandlerContext) {
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
    }
}

extension HTTPConnectionHandler.Wait {
    var deadline: NIODeadline? {
        switch self {
        case .none: nil
        case .forClient(let deadline, _), .forWrite(let deadline): deadline
        }
    }
}

/// The `Date` header's value, formatted once a second at most.
struct HTTPDateHeader {
    private var second = 0
    private var text = ""

    mutating func now() -> String {
        var now = time(nil)
        guard now != second || text.isEmpty else { return text }
        second = now
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text
    }
}
