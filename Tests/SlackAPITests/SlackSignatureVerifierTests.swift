import Foundation
import SlackAPI
import Testing

/// SPEC §6 request signing, judged against the official slack_sdk verifier's verdicts
/// (`Fixtures/make_signature_vectors.py` writes `Fixtures/signature_vectors.json`).
@Suite struct SlackSignatureVerifierTests {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var secret: String
        var timestamp: String
        var body: String
        var signature: String
        var expectedSignature: String
        var now: Int
        var valid: Bool

        enum CodingKeys: String, CodingKey {
            case name, secret, timestamp, body, signature, now, valid
            case expectedSignature = "expected_signature"
        }

        var testDescription: String { name }
    }

    struct Vectors: Decodable {
        var generator: String
        var vectors: [Vector]
    }

    static let vectors: [Vector] = {
        do {
            return try Fixture.decode(Vectors.self, from: "signature_vectors").vectors
        } catch {
            return []
        }
    }()

    @Test func vectorsAreThere() {
        #expect(Self.vectors.count >= 12)
        #expect(Self.vectors.contains { $0.valid })
        #expect(Self.vectors.contains { !$0.valid })
    }

    @Test(arguments: vectors)
    func agreesWithSlackSDK(vector: Vector) {
        let verifier = SlackSignatureVerifier(signingSecret: vector.secret)
        let now = Date(timeIntervalSince1970: TimeInterval(vector.now))

        let verdict = verifier.isValid(body: Data(vector.body.utf8), timestamp: vector.timestamp, signature: vector.signature, now: now)

        #expect(verdict == vector.valid)
        #expect(verifier.signature(body: Data(vector.body.utf8), timestamp: vector.timestamp) == vector.expectedSignature)
        if vector.valid {
            #expect(verifier.signature(body: Data(vector.body.utf8), timestamp: vector.timestamp) == vector.signature)
        }
    }

    static let secret = "8f742231b10e8888abcd99yyyzzz85a5"
    static let body = Data("token=xyz&command=%2Fcreate_incident".utf8)
    static let now = Date(timeIntervalSince1970: 1_531_420_618)

    static let failures: [(String?, String?, SignatureFailure)] = {
        let good = SlackSignatureVerifier(signingSecret: secret).signature(body: body, timestamp: "1531420618")
        let old = SlackSignatureVerifier(signingSecret: secret).signature(body: body, timestamp: "1531420317")
        return [
            (nil, good, .missingHeaders),
            ("1531420618", nil, .missingHeaders),
            ("", good, .missingHeaders),
            ("1531420618", "", .missingHeaders),
            ("yesterday", good, .malformedTimestamp),
            ("-1531420618", good, .malformedTimestamp),
            ("1531420618.5", good, .malformedTimestamp),
            ("99999999999999999999999", good, .malformedTimestamp),
            ("1531420317", old, .staleTimestamp),
            ("1531420919", good, .staleTimestamp),
            ("1531420618", String(good.dropFirst(3)), .malformedSignature),
            ("1531420618", "v0=" + good.dropFirst(3).uppercased(), .malformedSignature),
            ("1531420618", "v1=" + good.dropFirst(3), .malformedSignature),
            ("1531420618", String(good.dropLast(2)), .malformedSignature),
            ("1531420618", "v0=" + String(repeating: "0", count: 64), .mismatch),
            ("1531420619", good, .mismatch),
        ]
    }()

    @Test(arguments: failures)
    func failureReasons(timestamp: String?, signature: String?, failure: SignatureFailure) {
        let verifier = SlackSignatureVerifier(signingSecret: Self.secret)
        let result = verifier.verify(body: Self.body, timestamp: timestamp, signature: signature, now: Self.now)
        guard case .failure(let reason) = result else {
            Issue.record("accepted")
            return
        }
        #expect(reason == failure)
    }

    @Test func acceptsItsOwnSignatureAndRespectsTolerance() {
        let verifier = SlackSignatureVerifier(signingSecret: Self.secret, tolerance: .seconds(60))
        let signature = verifier.signature(body: Self.body, timestamp: "1531420618")
        #expect(verifier.isValid(body: Self.body, timestamp: "1531420618", signature: signature, now: Self.now))
        #expect(verifier.isValid(body: Self.body, timestamp: "1531420618", signature: signature, now: Self.now + 60))
        #expect(!verifier.isValid(body: Self.body, timestamp: "1531420618", signature: signature, now: Self.now + 61))
        #expect(!verifier.isValid(body: Self.body + Data(" ".utf8), timestamp: "1531420618", signature: signature, now: Self.now))
        let other = SlackSignatureVerifier(signingSecret: "another-secret")
        #expect(!other.isValid(body: Self.body, timestamp: "1531420618", signature: signature, now: Self.now))
    }

    /// The example from Slack's "Verifying requests from Slack" guide.
    @Test func slacksDocumentedExample() {
        let body = Data(
            "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
                .utf8)
        let verifier = SlackSignatureVerifier(signingSecret: Self.secret)
        #expect(
            verifier.signature(body: body, timestamp: "1531420618")
                == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
        #expect(
            verifier.isValid(
                body: body, timestamp: "1531420618",
                signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", now: Self.now))
    }
}
