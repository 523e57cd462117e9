import ConsoleKit
import FluentKit
import Foundation
@testable import HeraldServer
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor

@Suite("Health, metrics, OpenAPI, CLI")
struct SystemTests {
    @Test("healthz checks the database")
    func health() async throws {
        try await withApp { app in
            let response = try await app.api(.GET, "/healthz")
            #expect(response.status == .ok)
            #expect(response.string("database") == "ok")
        }
    }

    @Test("metrics count requests by route pattern and status, with a latency histogram")
    func metrics() async throws {
        try await withApp { app in
            let t = try await Tenancy.make(app)
            _ = try await app.api(.GET, "/api/v1/projects/\(t.projectID)", token: t.owner)
            _ = try await app.api(.GET, "/api/v1/projects/\(UUID())", token: t.owner)
            let response = try await app.api(.GET, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.description.hasPrefix("text/plain") == true)
            let text = response.body
            #expect(text.contains(#"herald_http_requests_total{method="GET",route="/api/v1/projects/:p",status="200"} 1"#))
            #expect(text.contains(#"herald_http_requests_total{method="GET",route="/api/v1/projects/:p",status="404"} 1"#))
            #expect(text.contains(#"herald_http_request_duration_seconds_bucket{method="GET",route="/api/v1/projects/:p",le="+Inf"} 2"#))
            // Ids never become labels.
            #expect(!text.contains(t.projectID))
        }
    }

    @Test("the OpenAPI document lists exactly the router's paths and methods")
    func openAPIMatchesRoutes() async throws {
        try await withApp { app in
            let response = try await app.api(.GET, "/openapi.json")
            #expect(response.status == .ok)
            #expect(response.string("openapi") == "3.1.0")
            let paths = try #require(response["paths"] as? [String: [String: Any]])
            let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
            let documented = Set(paths.flatMap { path, item in
                item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
            })
            // The sandbox's routes are Slack's API, not Herald's: they are not in Herald's document.
            let routed = Set(app.routes.all.filter { $0.path.first?.description != "sandbox" }.map { route in
                let path = route.path.map { component -> String in
                    switch component {
                    case .parameter(let name): "{\(name)}"
                    default: component.description
                    }
                }.joined(separator: "/")
                return "\(route.method.rawValue) /\(path)"
            })
            #expect(documented.subtracting(routed).sorted() == [], "documented but not routed")
            #expect(routed.subtracting(documented).sorted() == [], "routed but not documented")
        }
    }

    @Test("herald users create makes the user, the organization and membership, and prints a working token")
    func usersCreate() async throws {
        try await withApp { app in
            let console = CapturingConsole()
            let group = app.asyncCommands.group()
            // MUT
            var context = CommandContext(console: console, input: CommandInput(arguments: [
                "herald", "users", "create", "--email", "Ops@Example.com", "--org", "Acme",
            ]))
            context.application = app
            try await console.run(group, with: context)
            // validate
            let token = console.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.hasPrefix("hrd_pat_"))
            let orgs = try await app.api(.GET, "/api/v1/orgs", token: token)
            #expect(orgs.array.map { $0["name"] as? String } == ["Acme"])
            #expect(orgs.array.first?["role"] as? String == "owner")
            // A second user joins the existing organization (by name, any case) with a role.
            let second = CapturingConsole()
            var context2 = CommandContext(console: second, input: CommandInput(arguments: [
                "herald", "users", "create", "--email", "viewer@example.com", "--org", "acme", "--role", "stakeholder",
            ]))
            context2.application = app
            try await second.run(group, with: context2)
            let members = try await app.api(.GET, "/api/v1/orgs/\(orgs.array[0]["id"] as! String)/members", token: token)
            #expect(Set(members.array.compactMap { $0["role"] as? String }) == ["owner", "stakeholder"])
            #expect(try await rowCount(app, "organizations") == 1)
            // Bad input changes nothing.
            let before = try await snapshotCounts(app)
            var bad = CommandContext(console: CapturingConsole(), input: CommandInput(arguments: [
                "herald", "users", "create", "--email", "nope", "--org", "Acme",
            ]))
            bad.application = app
            await #expect(throws: CreateUserCommand.Failure.self) { try await console.run(group, with: bad) }
            var noRole = CommandContext(console: CapturingConsole(), input: CommandInput(arguments: [
                "herald", "users", "create", "--email", "x@example.com", "--org", "Acme",
            ]))
            noRole.application = app
            await #expect(throws: CreateUserCommand.Failure.self) { try await console.run(group, with: noRole) }
            #expect(try await snapshotCounts(app) == before)
        }
    }
}

/// A console that records what commands print.
final class CapturingConsole: Console, @unchecked Sendable {
    private let lock = NIOLock()
    private var buffer = ""
    var output: String { lock.withLock { buffer } }
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (80, 24) }
    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) {
        lock.withLock { buffer += text.description + (newLine ? "\n" : "") }
    }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) {}
}

@Suite("Test database")
struct TestDatabaseTests {
    @Test("the suite runs on the database the test command chose")
    func dialect() async throws {
        try await withApp { app in
            let dialect = (app.db as! any SQLDatabase).dialect.name
            #expect(dialect == (TestDatabase.isPostgres ? "postgresql" : "sqlite"))
            if !TestDatabase.isPostgres {
                let mode = try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
                #expect(mode == "wal")
                let fk = try await (app.db as! any SQLDatabase).raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self)
                #expect(fk == 1)
            }
        }
    }
}
