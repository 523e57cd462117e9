import Crypto
import Foundation

/// Seals and opens every secret Herald stores (bot tokens, webhook URLs, signing secrets) with AES-GCM.
///
/// A sealed value is `"v1:" + base64(nonce ‖ ciphertext ‖ tag)`. The `context` (for example
/// `"slack_settings.token"`) is bound in as associated data, so a ciphertext copied into another
/// column does not open.
public struct SecretsBox: Sendable {
    /// Why a sealed value could not be opened.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case malformed
        case authenticationFailed

        public var description: String {
            switch self {
            case .malformed: "sealed secret is malformed"
            case .authenticationFailed: "sealed secret does not open with this key (wrong key, or tampered)"
            }
        }
    }

    private static let version = "v1:"
    private let key: SymmetricKey
    private let fingerprintKey: SymmetricKey

    /// - Parameter keyData: exactly 32 bytes.
    public init(keyData: Data) throws(SecretKeyError) {
        guard keyData.count == 32 else { throw .wrongLength(keyData.count) }
        self.key = SymmetricKey(data: keyData)
        // A separate subkey for fingerprints, so fingerprints say nothing about the sealing key.
        self.fingerprintKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: keyData),
            info: Data("herald fingerprint v1".utf8),
            outputByteCount: 32
        )
    }

    public func seal(_ plaintext: String, context: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw Error.malformed }
        return Self.version + combined.base64EncodedString()
    }

    public func open(_ sealed: String, context: String) throws(Error) -> String {
        guard sealed.hasPrefix(Self.version),
              let data = Data(base64Encoded: String(sealed.dropFirst(Self.version.count))),
              data.count >= 12 + 16
        else { throw .malformed }
        let box: AES.GCM.SealedBox
        do { box = try AES.GCM.SealedBox(combined: data) } catch { throw .malformed }
        let plain: Data
        do { plain = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8)) } catch {
            throw .authenticationFailed
        }
        guard let string = String(data: plain, encoding: .utf8) else { throw .malformed }
        return string
    }

    /// A stable value derived from the key for `label` (hex, 32 characters): for example the
    /// sandbox's demo bot token, which must survive restarts without being stored.
    public func derive(_ label: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(("derive:" + label).utf8), using: fingerprintKey)
        return Data(mac).prefix(16).hexString
    }

    /// A short, stable fingerprint of a secret (8 hex characters of a keyed HMAC): enough to tell
    /// two tokens apart in a page, useless for recovering the token without Herald's key.
    public func fingerprint(_ secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: fingerprintKey)
        return Data(mac).prefix(4).hexString
    }
}

/// Problems with a configured or stored secret key.
public enum SecretKeyError: Swift.Error, Equatable, CustomStringConvertible {
    case notBase64
    case wrongLength(Int)
    case keyFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .notBase64: "is not valid base64"
        case .wrongLength(let n): "must decode to 32 bytes, got \(n)"
        case .keyFile(let path, let reason): "key file \(path): \(reason)"
        }
    }
}

/// Loads the secret key from a `0600` file, creating it with fresh random bytes when absent.
public enum SecretKeyFile {
    /// Decodes a base64 key (as in `HERALD_SECRET_KEY`).
    public static func decode(_ base64: String) throws(SecretKeyError) -> Data {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .notBase64
        }
        guard data.count == 32 else { throw .wrongLength(data.count) }
        return data
    }

    /// Returns the key stored at `path`, creating the file (mode `0600`, exclusive create) if it does not exist.
    public static func loadOrCreate(at path: String) throws(SecretKeyError) -> (key: Data, created: Bool) {
        if FileManager.default.fileExists(atPath: path) {
            return (try load(at: path), false)
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        let text = Data(bytes).base64EncodedString() + "\n"
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            // Another process may have created it in the meantime: use theirs.
            if errno == EEXIST { return (try load(at: path), false) }
            throw .keyFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBufferPointer { buf in
            write(fd, buf.baseAddress, buf.count - 1)
        }
        guard written == text.utf8.count, fsync(fd) == 0 else {
            throw .keyFile(path: path, reason: "could not write the new key")
        }
        return (Data(bytes), true)
    }

    static func load(at path: String) throws(SecretKeyError) -> Data {
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .keyFile(path: path, reason: "cannot be read")
        }
        do { return try decode(contents) } catch {
            throw .keyFile(path: path, reason: "key \(error)")
        }
    }
}
