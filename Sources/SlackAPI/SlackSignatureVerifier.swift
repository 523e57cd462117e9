import Crypto
import Foundation

/// Checks that a request really comes from Slack (SPEC §6): `X-Slack-Signature` must be `v0=` + hex
/// HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}`, and the timestamp within `tolerance` of now.
public struct SlackSignatureVerifier: Sendable {
    /// Why a request was refused; every case means answer `401` and change nothing.
    public enum SignatureFailure: Error, Sendable, Hashable {
        case missingHeaders
        case malformedTimestamp
        case staleTimestamp
        case malformedSignature
        case mismatch
    }

    private let key: SymmetricKey
    public let tolerance: Duration

    public init(signingSecret: String, tolerance: Duration = .seconds(300)) {
        self.key = SymmetricKey(data: Data(signingSecret.utf8))
        self.tolerance = tolerance
    }

    /// Verifies the raw `body` against Slack's two headers; `now` is passed in so tests can fix the clock.
    public func verify(body: Data, timestamp: String?, signature: String?, now: Date = Date()) -> Result<Void, SignatureFailure> {
        guard let timestamp, let signature, !timestamp.isEmpty, !signature.isEmpty else {
            return .failure(.missingHeaders)
        }
        guard timestamp.count <= 18, timestamp.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let seconds = Int64(timestamp)
        else {
            return .failure(.malformedTimestamp)
        }
        let skew = abs(now.timeIntervalSince1970 - Double(seconds))
        let limit = Double(tolerance.components.seconds) + Double(tolerance.components.attoseconds) / 1e18
        guard skew <= limit else {
            return .failure(.staleTimestamp)
        }
        guard let mac = Self.decodeSignature(signature) else {
            return .failure(.malformedSignature)
        }
        // Crypto's check compares in constant time.
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.basestring(body, timestamp), using: key)
        else {
            return .failure(.mismatch)
        }
        return .success(())
    }

    /// ``verify(body:timestamp:signature:now:)`` as a yes or no.
    public func isValid(body: Data, timestamp: String?, signature: String?, now: Date = Date()) -> Bool {
        if case .success = verify(body: body, timestamp: timestamp, signature: signature, now: now) { true } else { false }
    }

    /// The `X-Slack-Signature` Slack would send for `body` at `timestamp` (for tests and the sandbox).
    public func signature(body: Data, timestamp: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Self.basestring(body, timestamp), using: key)
        return "v0=" + mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private static func basestring(_ body: Data, _ timestamp: String) -> Data {
        var message = Data("v0:\(timestamp):".utf8)
        message.append(body)
        return message
    }

    /// The 32 MAC bytes of `v0=` + 64 lower-case hex digits (Slack's only form), or nil.
    private static func decodeSignature(_ signature: String) -> [UInt8]? {
        let utf8 = Array(signature.utf8)
        guard utf8.count == 3 + 64, utf8.starts(with: "v0=".utf8) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 3
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// Top-level spelling of ``SlackSignatureVerifier/SignatureFailure``.
public typealias SignatureFailure = SlackSignatureVerifier.SignatureFailure
