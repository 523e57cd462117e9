import Crypto
import Foundation

/// The kinds of bearer credentials Herald issues. The prefix makes a leaked credential recognisable.
public enum CredentialKind: String, Sendable, CaseIterable {
    case apiToken = "hrd_pat_"
    case eventKey = "hrd_ek_"
}

/// Makes random credentials and the hashes Herald stores instead of them.
public struct CredentialFactory: Sendable {
    private let randomBytes: @Sendable (Int) -> [UInt8]

    /// - Parameter randomBytes: injectable for tests; defaults to the system CSPRNG.
    public init(randomBytes: @escaping @Sendable (Int) -> [UInt8] = CredentialFactory.systemRandomBytes) {
        self.randomBytes = randomBytes
    }

    public static let systemRandomBytes: @Sendable (Int) -> [UInt8] = { count in
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in rng.next() }
    }

    /// A new credential: prefix + 32 random bytes in base64url (no padding).
    public func make(_ kind: CredentialKind) -> String {
        kind.rawValue + Self.base64URL(randomBytes(32))
    }

    /// `count` random bytes in lower-case hex (nonces: an install link's state).
    public func randomHex(_ count: Int) -> String {
        Data(randomBytes(count)).hexString
    }

    /// The stored form of a credential: SHA-256 hex. Credentials are high-entropy, so a plain
    /// digest is enough (and allows an indexed lookup).
    public static func hash(_ credential: String) -> String {
        SHA256.hash(data: Data(credential.utf8)).hexString
    }

    /// What may be shown of a credential after creation: its prefix and first 4 random characters.
    public static func displayPrefix(_ credential: String) -> String {
        let kind = CredentialKind.allCases.first { credential.hasPrefix($0.rawValue) }
        let head = kind?.rawValue.count ?? 0
        return String(credential.prefix(head + 4))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal, two digits per byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
