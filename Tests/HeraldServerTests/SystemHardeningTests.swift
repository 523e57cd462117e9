import Foundation
@testable import HeraldServer
import SQLKit
import Testing
import Vapor

@Suite("Hardening: the process, the database and the HTTP surface")
struct SystemHardeningTests {
    @Test("a known path with a method it does not serve answers 405 with Allow; an unknown path 404", arguments: [
        (HTTPMethod.TRACE, "/api/v1/orgs", "GET, HEAD, POST"),
        (.DELETE, "/healthz", "GET, HEAD"),
        (.PUT, "/api/v1/events", "POST"),
        (.GET, "/api/v1/alertmanager", "POST"),
        (.PATCH, "/api/v1/orgs/5b1f8a3e-3c1e-4a52-9c55-0a2b8a1f9e10", "GET, HEAD"),
        (.POST, "/api/v1/orgs/5b1f8a3e-3c1e-4a52-9c55-0a2b8a1f9e10/members/a@example.com", "DELETE, PATCH"),
        (.OPTIONS, "/v2/enqueue", "POST"),
        (.TRACE, "/no/such/path", nil),
    ] as [(HTTPMethod, String, String?)])
    func methodNotAllowed(_ method: HTTPMethod, _ path: String, _ allow: String?) async throws {
        try await withApp { app in
            // MUT
            let r = try await app.api(method, path)
            // validate
            #expect(r.status == (allow == nil ? .notFound : .methodNotAllowed), "\(r.body)")
            #expect(r.headers.first(name: .allow) == allow)
            #expect(r.headers.contentType?.description.hasPrefix("application/problem+json") == true)
        }
    }

    @Test("SQLite commits are synchronous=FULL by default (an accepted event survives power loss); NORMAL on request", arguments: [
        (nil, 2), ("full", 2), ("normal", 1), ("NORMAL", 1),
    ] as [(String?, Int)])
    func synchronous(_ setting: String?, _ expected: Int) async throws {
        let env = setting.map { ["HERALD_SQLITE_SYNCHRONOUS": $0] } ?? [:]
        try await withApp(environment: env, sqliteOnly: true) { app in
            // validate: every pool connection, and intake's own.
            for eventLoop in app.eventLoopGroup.makeIterator() {
                let db = app.databases.database(logger: app.logger, on: eventLoop) as! any SQLDatabase
                let value = try await db.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
                #expect(value == expected)
            }
            let writer = try #require(app.herald.storage.sqliteWriter)
            let value = try await writer.database(logger: app.logger).raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
            #expect(value == expected)
        }
    }

    @Test("HERALD_SQLITE_SYNCHRONOUS takes only full or normal")
    func synchronousSetting() throws {
        #expect(throws: ConfigurationError.self) { try HeraldConfiguration(environment: ["HERALD_SQLITE_SYNCHRONOUS": "off"]) }
        #expect(try HeraldConfiguration(environment: [:]).sqliteSynchronous == .full)
    }

    @Test("one process per SQLite file: a second lock on the same file, under any name, is refused with what to do")
    func processLock() throws {
        // setup
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("herald.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let link = dir.appendingPathComponent("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        // MUT
        let first = try SQLiteProcessLock.acquire(databasePath: path)
        // validate
        for other in [path, link, dir.path + "/./herald.sqlite"] {
            do {
                _ = try SQLiteProcessLock.acquire(databasePath: other)
                Issue.record("a second lock on \(other) was granted")
            } catch {
                #expect(error.description.contains("(pid \(getpid()))"))
                #expect(error.description.contains("already running on the SQLite database"))
                #expect(error.description.contains("PostgreSQL"))
                #expect(!error.description.contains("\n"), "one line")
            }
        }
        // Released (as at exit), it can be taken again.
        first.release()
        let again = try SQLiteProcessLock.acquire(databasePath: link)
        again.release()
    }

    @Test("links follow the address served unless HERALD_PUBLIC_URL is set", arguments: [
        ("127.0.0.1", 18080, "http://127.0.0.1:18080"), ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::1", 8443, "http://[::1]:8443"), ("herald.internal", 80, "http://herald.internal:80"),
    ])
    func publicURL(_ host: String, _ port: Int, _ expected: String) throws {
        #expect(HeraldConfiguration.localURL(hostname: host, port: port) == expected)
        let defaults = try HeraldConfiguration(environment: ["HERALD_HOSTNAME": host, "HERALD_PORT": String(port)])
        #expect(!defaults.publicURLIsExplicit)
        #expect(defaults.publicURL.absoluteString == expected)
        let set = try HeraldConfiguration(environment: ["HERALD_PUBLIC_URL": "https://herald.example.com"])
        #expect(set.publicURLIsExplicit)
    }
}
