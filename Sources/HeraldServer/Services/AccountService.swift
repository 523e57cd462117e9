import Crypto
import Fluent
import Foundation
import HeraldCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Web sign-in (SPEC §9, §10): passwords hashed with Bcrypt on the thread pool (never on the loops
/// that accept events), sessions stored the way every other write is (through the write gate), and
/// failed sign-ins throttled per account and per address.
struct AccountService: Sendable {
    let services: HeraldServices
    let db: any Database
    /// Where Bcrypt runs: a thread pool, never an event loop.
    let threadPool: NIOThreadPool

    /// Bcrypt's work factor (2^12 rounds: about a quarter of a second a hash on one core); tests
    /// lower it through ``HeraldOverrides/bcryptCost``.
    static let bcryptCost = 12
    var cost: Int { services.security.bcryptCost }
    /// Passwords: at least 10 characters, at most 72 bytes (all Bcrypt reads).
    static let minimumPasswordLength = 10
    static let maximumPasswordBytes = 72
    /// A session lasts this long after sign-in.
    static let sessionLifetime: TimeInterval = 7 * 86_400
    /// Sign-in throttling: this many failures in ``throttleWindow`` lock the account (or the
    /// address, with its own allowance) for ``lockout``.
    static let accountFailures = 5
    static let addressFailures = 20
    static let throttleWindow: TimeInterval = 15 * 60
    static let lockout: TimeInterval = 15 * 60

    // MARK: Passwords

    /// Checks a new password; the refusal names `field`.
    static func validate(password: String, field: String = "password") throws(FieldError) {
        guard password.count >= minimumPasswordLength else {
            throw FieldError(field: field, detail: "must be at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= maximumPasswordBytes else {
            throw FieldError(field: field, detail: "must be at most \(maximumPasswordBytes) bytes")
        }
    }

    /// Sets the user's web password (replacing any), and ends their other sessions.
    func setPassword(userID: UUID, to password: String) async throws {
        try Self.validate(password: password)
        let cost = self.cost
        let hash = try await threadPool.runIfActive { try Bcrypt.hash(password, cost: cost) }
        let now = services.now()
        try await services.storage.writeGate.transaction(db) { db in
            let sql = db as! any SQLDatabase
            try await sql.delete(from: "user_passwords").where("user_id", .equal, StoredUUID(userID)).run()
            try await sql.insert(into: "user_passwords").columns("user_id", "password_hash", "updated_at")
                .values(SQLBind(StoredUUID(userID)), SQLBind(hash), SQLBind(now)).run()
            try await sql.delete(from: "web_sessions").where("user_id", .equal, StoredUUID(userID)).run()
        }
    }

    // MARK: Sign-in

    /// Why a sign-in failed: never which of email and password was wrong.
    enum SignInFailure: Error, Equatable {
        case wrongCredentials
        /// Too many failures for the account or the address: try again after this many seconds.
        case throttled(retryAfter: Int)

        var message: String {
            switch self {
            case .wrongCredentials: "The email or password is not right."
            case .throttled(let seconds): "Too many failed sign-ins. Try again in \(max(1, (seconds + 59) / 60)) minutes."
            }
        }
    }

    /// A new session: the cookie's value (shown to the browser once, stored only hashed) and its
    /// CSRF token.
    struct NewSession: Sendable {
        var cookie: String
        var csrfToken: String
        var userID: UUID
        var expiresAt: Date
    }

    /// Signs in `email` from `address`: throttled first (a locked account or address is refused
    /// without checking the password), then the password checked off the loops, then a session.
    func signIn(email rawEmail: String, password: String, address: String) async throws(SignInFailure) -> NewSession {
        let email = rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let now = services.now()
        let scopes = ["account:" + email, "address:" + address]
        let locked: Int?
        do { locked = try await lockedFor(scopes, now: now) } catch { throw .wrongCredentials }
        if let locked { throw .throttled(retryAfter: locked) }
        let found: (UUID, String)?
        do { found = try await passwordHash(email: email) } catch { throw .wrongCredentials }
        // Unknown emails cost one Bcrypt check too, so timing tells nothing.
        let hash = found?.1, cost = self.cost
        let matches = (try? await threadPool.runIfActive { try Bcrypt.verify(password, created: hash ?? Self.decoyHash(cost: cost)) }) ?? false
        guard matches, let userID = found?.0 else {
            try? await recordFailure(scopes, now: now)
            throw .wrongCredentials
        }
        do {
            try await clearFailures("account:" + email)
            return try await createSession(userID: userID, now: now)
        } catch {
            throw .wrongCredentials
        }
    }

    /// A Bcrypt hash of nothing anyone types, at the work factor real ones have, checked against
    /// when the email is unknown (made once per factor, on the thread pool, at the first such sign-in).
    static func decoyHash(cost: Int) -> String {
        decoys.withLockedValue { decoys in
            if let known = decoys[cost] { return known }
            let made = (try? Bcrypt.hash(UUID().uuidString, cost: cost)) ?? ""
            decoys[cost] = made
            return made
        }
    }

    private static let decoys = NIOLockedValueBox<[Int: String]>([:])

    private func passwordHash(email: String) async throws -> (UUID, String)? {
        guard let row = try await (db as! any SQLDatabase).raw("""
            SELECT u.id, p.password_hash FROM users u JOIN user_passwords p ON p.user_id = u.id WHERE u.email = \(bind: email)
            """).first() else { return nil }
        return (try row.decodeUUID(column: "id"), try row.decode(column: "password_hash", as: String.self))
    }

    private func createSession(userID: UUID, now: Date) async throws -> NewSession {
        let factory = services.security.credentials
        let cookie = factory.randomHex(32), csrf = factory.randomHex(32)
        let expires = now.addingTimeInterval(Self.sessionLifetime)
        try await services.storage.writeGate.transaction(db) { db in
            let sql = db as! any SQLDatabase
            // Ended sessions go as new ones come.
            try await sql.delete(from: "web_sessions").where("expires_at", .lessThan, now).run()
            try await sql.insert(into: "web_sessions")
                .columns("token_hash", "user_id", "csrf_token", "created_at", "last_seen_at", "expires_at")
                .values(SQLBind(CredentialFactory.hash(cookie)), SQLBind(StoredUUID(userID)), SQLBind(csrf), SQLBind(now), SQLBind(now),
                        SQLBind(expires))
                .run()
        }
        return NewSession(cookie: cookie, csrfToken: csrf, userID: userID, expiresAt: expires)
    }

    // MARK: Sessions

    /// A live session, found by its cookie.
    struct Session: Sendable {
        var user: User
        var userID: UUID
        var tokenHash: String
        var csrfToken: String
    }

    /// The session the cookie names, if it is live; its last use is recorded at most once a minute.
    func session(cookie: String) async throws -> Session? {
        guard cookie.utf8.count == 64, cookie.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        let hash = CredentialFactory.hash(cookie)
        let now = services.now()
        guard let row = try await (db as! any SQLDatabase).raw("""
            SELECT user_id, csrf_token, last_seen_at, expires_at FROM web_sessions WHERE token_hash = \(bind: hash)
            """).first(), try row.decode(column: "expires_at", as: Date.self) > now
        else { return nil }
        let userID = try row.decodeUUID(column: "user_id")
        guard let user = try await User.find(userID, on: db) else { return nil }
        if try row.decode(column: "last_seen_at", as: Date.self) < now.addingTimeInterval(-60) {
            try? await services.storage.writeGate.transaction(db) { db in
                try await (db as! any SQLDatabase).update("web_sessions").set("last_seen_at", to: now).where("token_hash", .equal, hash).run()
            }
        }
        return Session(user: user, userID: userID, tokenHash: hash, csrfToken: try row.decode(column: "csrf_token", as: String.self))
    }

    /// Ends the session the cookie names (sign out).
    func signOut(cookie: String) async throws {
        let hash = CredentialFactory.hash(cookie)
        try await services.storage.writeGate.transaction(db) { db in
            try await (db as! any SQLDatabase).delete(from: "web_sessions").where("token_hash", .equal, hash).run()
        }
    }

    // MARK: Throttling

    /// Seconds the most locked of `scopes` stays locked, or nil.
    private func lockedFor(_ scopes: [String], now: Date) async throws -> Int? {
        let rows = try await (db as! any SQLDatabase).raw("""
            SELECT locked_until FROM login_throttle WHERE scope_key IN (\(binds: scopes)) AND locked_until > \(bind: now)
            """).all()
        let until = try rows.compactMap { try $0.decode(column: "locked_until", as: Date?.self) }.max()
        return until.map { Int($0.timeIntervalSince(now).rounded(.up)) }
    }

    /// Counts a failure against each scope; one that reaches its allowance in the window is locked.
    private func recordFailure(_ scopes: [String], now: Date) async throws {
        try await services.storage.writeGate.transaction(db) { db in
            let sql = db as! any SQLDatabase
            for scope in scopes {
                let allowance = scope.hasPrefix("account:") ? Self.accountFailures : Self.addressFailures
                let row = try await sql.raw("SELECT failures, window_started_at FROM login_throttle WHERE scope_key = \(bind: scope)").first()
                var failures = 1, started = now
                if let row, try row.decode(column: "window_started_at", as: Date.self) > now.addingTimeInterval(-Self.throttleWindow) {
                    failures = try row.decode(column: "failures", as: Int.self) + 1
                    started = try row.decode(column: "window_started_at", as: Date.self)
                }
                let lockedUntil: Date? = failures >= allowance ? now.addingTimeInterval(Self.lockout) : nil
                try await sql.delete(from: "login_throttle").where("scope_key", .equal, scope).run()
                try await sql.insert(into: "login_throttle").columns("scope_key", "failures", "window_started_at", "locked_until")
                    .values(SQLBind(scope), SQLBind(lockedUntil == nil ? failures : 0), SQLBind(lockedUntil == nil ? started : now),
                            SQLBind(lockedUntil))
                    .run()
            }
        }
    }

    private func clearFailures(_ scope: String) async throws {
        try await services.storage.writeGate.transaction(db) { db in
            try await (db as! any SQLDatabase).delete(from: "login_throttle").where("scope_key", .equal, scope).run()
        }
    }
}
