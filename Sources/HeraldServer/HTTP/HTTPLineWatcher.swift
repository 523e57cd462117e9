import Foundation
import NIOCore

/// Sits before the HTTP/1 decoder and watches the raw bytes, so that when the decoder gives up on
/// a head that is too large (it says only "header overflow"), Herald can answer `414` for an
/// over-long request line and `431` for over-long header fields; and so that the idle deadline can
/// tell a connection that sent nothing from one that sent part of a request.
///
/// It keeps the length and first bytes of the line being received; the latest line to grow past
/// `lineLimit` (the decoder's limit on one field, a URL included) is remembered: the decoder
/// fails on the first such line of a head and reads nothing after it, so a long line of an earlier
/// request's body is superseded by the one that made the decoder fail. One case it reads wrong: on
/// a kept-alive connection, a body with no line feed at its end runs on into the next request's
/// line, so an over-long request line right after such a body is answered `431`, not `414`. Each read costs
/// a scan for its first line feed and one back from its end for its last.
final class HTTPLineWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let prefixLength = 16
    private let lineLimit: Int
    /// Bytes received on the connection so far.
    private(set) var receivedBytes = 0
    private var tailLength = 0
    private var tailPrefix: [UInt8] = []
    /// The first bytes of the latest line longer than `lineLimit`, once there is one.
    private(set) var overlongLinePrefix: [UInt8]?

    init(lineLimit: Int) {
        self.lineLimit = lineLimit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { observe($0) }
        context.fireChannelRead(data)
    }

    private func observe(_ bytes: UnsafeRawBufferPointer) {
        receivedBytes += bytes.count
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard let first = memchr(base, 0x0A, bytes.count) else {
            // No line ends here: the line being received grows.
            if tailPrefix.count < Self.prefixLength { tailPrefix += bytes.prefix(Self.prefixLength - tailPrefix.count) }
            tailLength += bytes.count
            if tailLength > lineLimit { overlongLinePrefix = tailPrefix }
            return
        }
        let firstLF = base.distance(to: first)
        if tailLength + firstLF > lineLimit { overlongLinePrefix = tailPrefix }
        // A line wholly inside this read can be over the limit only if the read is.
        if bytes.count > lineLimit {
            var start = firstLF + 1
            while start < bytes.count, let next = memchr(base + start, 0x0A, bytes.count - start) {
                let lf = base.distance(to: next)
                if lf - start > lineLimit { overlongLinePrefix = Array(bytes[start..<start + Self.prefixLength]) }
                start = lf + 1
            }
        }
        var lastLF = bytes.count - 1
        while bytes[lastLF] != 0x0A { lastLF -= 1 }
        tailLength = bytes.count - lastLF - 1
        tailPrefix = Array(bytes[(lastLF + 1)..<min(bytes.count, lastLF + 1 + Self.prefixLength)])
        if tailLength > lineLimit { overlongLinePrefix = tailPrefix }
    }

    /// Whether the over-long line, if any, is a request line (`METHOD SP target …`) rather than a
    /// header field (`name: value`, whose name holds no space).
    var overlongLineIsRequestLine: Bool {
        guard let prefix = overlongLinePrefix, let space = prefix.firstIndex(of: UInt8(ascii: " ")), space > 0 else { return false }
        return !prefix[..<space].contains(UInt8(ascii: ":"))
    }
}
