import Fluent
import Foundation
@testable import HeraldServer
import HeraldCore
import NIOCore
import SQLKit
import Testing
import Vapor
import VaporTesting

/// Web sign-in's core (SPEC §9, §10): passwords, sessions stored through the write gate, throttling,
/// and the session caller's CSRF check.
@Suite("Accounts: passwords, sessions, throttled sign-in, CSRF")
struct AccountTests {
    static func overrides() -> HeraldOverrides {
        var o = HeraldOverrides()
        o.bcryptCost = 4
        return o
    }

    static func accounts(_ app: Application) -> AccountService {
        AccountService(services: app.herald, db: app.db, threadPool: app.threadPool)
    }

    @Test("a password is stored as a Bcrypt hash; sign-in makes a session found by its cookie (stored hashed); sign-out ends it; a new password ends every session")
    func passwordsAndSessions() async throws {
        try await withApp(overrides: Self.overrides()) { app in
            let (user, _) = try await app.makeUser("ana@example.com")
            let userID = try user.requireID()
            let accounts = Self.accounts(app)
            #expect(throws: FieldError.self) { try AccountService.validate(password: "short") }
            #expect(throws: FieldError.self) { try AccountService.validate(password: String(repeating: "é", count: 40)) }
            try await accounts.setPassword(userID: userID, to: "correct horse battery")
            let stored = try #require(try await (app.db as! any SQLDatabase).raw("SELECT password_hash FROM user_passwords").first()?
                .decode(column: "password_hash", as: String.self))
            #expect(stored.hasPrefix("$2") && !stored.contains("correct horse"))

            let session = try await accounts.signIn(email: " ANA@example.com ", password: "correct horse battery", address: "10.0.0.1")
            #expect(session.userID == userID && session.cookie.count == 64 && session.csrfToken.count == 64)
            let hashes = try await (app.db as! any SQLDatabase).raw("SELECT token_hash FROM web_sessions").all()
                .map { try $0.decode(column: "token_hash", as: String.self) }
            #expect(hashes == [CredentialFactory.hash(session.cookie)], "only the cookie's hash is stored")
            let found = try #require(try await accounts.session(cookie: session.cookie))
            #expect(found.userID == userID && found.csrfToken == session.csrfToken)
            #expect(try await accounts.session(cookie: String(repeating: "0", count: 64)) == nil)
            #expect(try await accounts.session(cookie: "not a cookie") == nil)
            try await accounts.signOut(cookie: session.cookie)
            #expect(try await accounts.session(cookie: session.cookie) == nil)

            let again = try await accounts.signIn(email: "ana@example.com", password: "correct horse battery", address: "10.0.0.1")
            try await accounts.setPassword(userID: userID, to: "a brand new passphrase")
            #expect(try await accounts.session(cookie: again.cookie) == nil, "a new password ends the sessions")
            await #expect(throws: AccountService.SignInFailure.wrongCredentials) {
                _ = try await accounts.signIn(email: "ana@example.com", password: "correct horse battery", address: "10.0.0.1")
            }
        }
    }

    @Test("sessions end when their lifetime does", .timeLimit(.minutes(1)))
    func sessionExpiry() async throws {
        let clock = ManualClock()
        try await withApp(overrides: Self.overrides(), clock: clock) { app in
            let (user, _) = try await app.makeUser("ana@example.com")
            let accounts = Self.accounts(app)
            try await accounts.setPassword(userID: try user.requireID(), to: "correct horse battery")
            let session = try await accounts.signIn(email: "ana@example.com", password: "correct horse battery", address: "a")
            clock.set(AccountService.sessionLifetime - 1)
            #expect(try await accounts.session(cookie: session.cookie) != nil)
            clock.set(AccountService.sessionLifetime + 1)
            #expect(try await accounts.session(cookie: session.cookie) == nil)
        }
    }

    @Test("failed sign-ins are throttled per account (5) and per address (20), refused without a password check while locked, and free again after the lockout")
    func throttling() async throws {
        let clock = ManualClock()
        try await withApp(overrides: Self.overrides(), clock: clock) { app in
            let accounts = Self.accounts(app)
            for email in ["ana@example.com", "bo@example.com"] {
                let (user, _) = try await app.makeUser(email)
                try await accounts.setPassword(userID: try user.requireID(), to: "correct horse battery")
            }
            for _ in 1..<AccountService.accountFailures {
                await #expect(throws: AccountService.SignInFailure.wrongCredentials) {
                    _ = try await accounts.signIn(email: "ana@example.com", password: "wrong password!", address: "10.0.0.1")
                }
            }
            await #expect(throws: AccountService.SignInFailure.wrongCredentials) {
                _ = try await accounts.signIn(email: "ana@example.com", password: "wrong password!", address: "10.0.0.2")
            }
            // Locked now: even the right password is refused, from any address.
            do {
                _ = try await accounts.signIn(email: "ana@example.com", password: "correct horse battery", address: "10.0.0.3")
                Issue.record("a locked account signed in")
            } catch AccountService.SignInFailure.throttled(let seconds) {
                #expect(seconds == Int(AccountService.lockout))
                #expect(AccountService.SignInFailure.throttled(retryAfter: seconds).message.contains("15 minutes"))
            } catch {
                Issue.record("\(error)")
            }
            // Another account from the same addresses is not locked.
            #expect(try await accounts.signIn(email: "bo@example.com", password: "correct horse battery", address: "10.0.0.1").cookie.count == 64)
            clock.set(AccountService.lockout + 1)
            #expect(try await accounts.signIn(email: "ana@example.com", password: "correct horse battery", address: "10.0.0.3").cookie.count == 64)

            // An address guessing at many accounts is locked after 20 failures, for every account.
            for n in 0..<AccountService.addressFailures {
                await #expect(throws: AccountService.SignInFailure.wrongCredentials) {
                    _ = try await accounts.signIn(email: "nobody\(n)@example.com", password: "guess guess guess", address: "192.0.2.9")
                }
            }
            await #expect(throws: AccountService.SignInFailure.throttled(retryAfter: Int(AccountService.lockout))) {
                _ = try await accounts.signIn(email: "bo@example.com", password: "correct horse battery", address: "192.0.2.9")
            }
            #expect(try await accounts.signIn(email: "bo@example.com", password: "correct horse battery", address: "192.0.2.10").cookie.count == 64)
        }
    }

    @Test("a signed-in browser is a caller like a token holder, and its state-changing requests need the session's CSRF token")
    func sessionCallerAndCSRF() async throws {
        try await withApp(overrides: Self.overrides()) { app in
            let (user, _) = try await app.makeUser("ana@example.com")
            let accounts = Self.accounts(app)
            try await accounts.setPassword(userID: try user.requireID(), to: "correct horse battery")
            let session = try await accounts.signIn(email: "ana@example.com", password: "correct horse battery", address: "a")
            // A route behind the session stack, as the pages will be.
            app.grouped(SessionAuthenticator(), RequireCaller(), RequireCSRF()).on(.POST, "csrf-probe") { req async throws -> String in
                try req.caller.user.email
            }
            app.grouped(SessionAuthenticator(), RequireCaller()).get("csrf-probe") { req async throws -> String in try req.caller.user.email }
            func send(_ method: HTTPMethod, cookie: String?, csrf: String?, form: Bool = false) async throws -> (HTTPStatus, String) {
                var headers = HTTPHeaders()
                if let cookie { headers.add(name: .cookie, value: "\(SessionAuthenticator.cookie)=\(cookie)") }
                var body: ByteBuffer?
                if let csrf {
                    if form {
                        headers.contentType = .urlEncodedForm
                        body = ByteBuffer(string: "csrf=\(csrf)&x=1")
                    } else {
                        headers.add(name: "X-CSRF-Token", value: csrf)
                    }
                }
                let response = try await app.testing().sendRequest(method, "/csrf-probe", headers: headers, body: body)
                return (response.status, response.body.string)
            }
            #expect(try await send(.GET, cookie: session.cookie, csrf: nil) == (.ok, "ana@example.com"))
            #expect(try await send(.GET, cookie: nil, csrf: nil).0 == .unauthorized)
            #expect(try await send(.POST, cookie: session.cookie, csrf: nil).0 == .forbidden)
            #expect(try await send(.POST, cookie: session.cookie, csrf: String(repeating: "f", count: 64)).0 == .forbidden)
            #expect(try await send(.POST, cookie: session.cookie, csrf: session.csrfToken) == (.ok, "ana@example.com"))
            #expect(try await send(.POST, cookie: session.cookie, csrf: session.csrfToken, form: true) == (.ok, "ana@example.com"))
        }
    }
}
