import Foundation
import HeraldCore
import Testing

@Suite("Secrets box")
struct SecretsBoxTests {
    let key = Data((0..<32).map { UInt8($0) })

    @Test("round trip, with a fresh nonce each time")
    func roundTrip() throws {
        let box = try SecretsBox(keyData: key)
        let secret = "xoxb-1234-5678-abcdefghijkl"
        let a = try box.seal(secret, context: "slack.token")
        let b = try box.seal(secret, context: "slack.token")
        #expect(a != b)
        #expect(a.hasPrefix("v1:"))
        #expect(!a.contains(secret))
        #expect(try box.open(a, context: "slack.token") == secret)
        #expect(try box.open(b, context: "slack.token") == secret)
        #expect(try box.open(try box.seal("", context: "c"), context: "c") == "")
        let unicode = "tøken ✓ \u{1F512}"
        #expect(try box.open(try box.seal(unicode, context: "c"), context: "c") == unicode)
    }

    @Test("a wrong key does not open it")
    func wrongKey() throws {
        let sealed = try SecretsBox(keyData: key).seal("secret", context: "c")
        let other = try SecretsBox(keyData: Data(repeating: 9, count: 32))
        #expect(throws: SecretsBox.Error.authenticationFailed) { try other.open(sealed, context: "c") }
    }

    @Test("tampering is detected, byte by byte")
    func tampering() throws {
        let box = try SecretsBox(keyData: key)
        let sealed = try box.seal("secret", context: "c")
        let raw = Data(base64Encoded: String(sealed.dropFirst(3)))!
        for index in [0, 11, 12, raw.count - 17, raw.count - 1] {
            var bytes = raw
            bytes[index] ^= 0x01
            #expect(throws: SecretsBox.Error.authenticationFailed) {
                try box.open("v1:" + bytes.base64EncodedString(), context: "c")
            }
        }
        #expect(throws: SecretsBox.Error.authenticationFailed) { try box.open(sealed, context: "other.column") }
        for garbage in ["", "v1:", "v2:" + sealed.dropFirst(3), "v1:!!!", "v1:" + Data(repeating: 1, count: 10).base64EncodedString()] {
            #expect(throws: SecretsBox.Error.malformed) { try box.open(String(garbage), context: "c") }
        }
    }

    @Test("keys must be 32 bytes")
    func keyLength() throws {
        #expect(throws: SecretKeyError.wrongLength(16)) { try SecretsBox(keyData: Data(count: 16)) }
        #expect(throws: SecretKeyError.notBase64) { try SecretKeyFile.decode("not base64!") }
        #expect(throws: SecretKeyError.wrongLength(3)) { try SecretKeyFile.decode("AAAA") }
        #expect(try SecretKeyFile.decode(" \(key.base64EncodedString())\n") == key)
    }

    @Test("fingerprints are short, stable, distinct, and keyed")
    func fingerprints() throws {
        let box = try SecretsBox(keyData: key)
        let token = "xoxb-secret-token-value"
        let fp = box.fingerprint(token)
        #expect(fp.count == 8)
        #expect(fp == box.fingerprint(token))
        #expect(fp != box.fingerprint(token + "x"))
        #expect(!token.contains(fp))
        #expect(fp != (try SecretsBox(keyData: Data(repeating: 1, count: 32))).fingerprint(token))
    }

    @Test("the key file is created once with mode 0600 and then reused")
    func keyFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-key-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("herald.sqlite.key").path
        let first = try SecretKeyFile.loadOrCreate(at: path)
        #expect(first.created)
        #expect(first.key.count == 32)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let second = try SecretKeyFile.loadOrCreate(at: path)
        #expect(!second.created)
        #expect(second.key == first.key)
        try "garbage".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: SecretKeyError.self) { try SecretKeyFile.loadOrCreate(at: path) }
        let missingDir = dir.appendingPathComponent("no/such/dir/key").path
        #expect(throws: SecretKeyError.self) { try SecretKeyFile.loadOrCreate(at: missingDir) }
    }
}
