import FluentKit
import Foundation
@testable import HeraldServer
import HeraldCore
import SQLKit
import Testing
import Vapor

@Suite("Event keys and personal API tokens")
struct CredentialsTests {
    @Test("an event key is shown once, stored only as a hash, and revocable")
    func eventKeys() async throws {
        try await withApp { app in
            // setup
            let t = try await Tenancy.make(app)
            // MUT
            let created = try await app.api(.POST, "/api/v1/projects/\(t.projectID)/keys", token: t.admin, json: ["name": "prometheus"])
            // validate
            #expect(created.status == .created)
            let key = try #require(created.string("key"))
            let id = try #require(created.string("id"))
            #expect(key.hasPrefix("hrd_ek_") && key.count > 40)
            #expect(created.string("prefix") == String(key.prefix(11)))
            let list = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/keys", token: t.owner)
            #expect(list.array.count == 1)
            #expect(!list.body.contains(key))
            #expect(list.array.first?["key"] == nil)
            // Only the hash is in the database.
            let stored = try await EventKey.query(on: app.db).all()
            #expect(stored.map(\.keyHash) == [CredentialFactory.hash(key)])
            #expect(try await rawDatabaseText(app).contains(key) == false)
            // The key resolves to its project until revoked.
            let resolved = try await EventKeyAuthenticator.grant(for: key, services: app.herald, on: app.db)
            #expect(resolved?.projectID.apiString == t.projectID)
            let revoke = try await app.api(.DELETE, "/api/v1/projects/\(t.projectID)/keys/\(id)", token: t.admin)
            #expect(revoke.status == .noContent)
            #expect(try await EventKeyAuthenticator.grant(for: key, services: app.herald, on: app.db) == nil)
            let after = try await app.api(.GET, "/api/v1/projects/\(t.projectID)/keys", token: t.owner)
            #expect(after.array.first?["revokedAt"] is String)
            // Unknown and foreign key ids are 404.
            let unknown = try await app.api(.DELETE, "/api/v1/projects/\(t.projectID)/keys/\(UUID())", token: t.admin)
            #expect(unknown.status == .notFound)
        }
    }

    @Test("a personal token authenticates until revoked; nobody revokes another's token")
    func apiTokens() async throws {
        try await withApp { app in
            let (_, first) = try await app.makeUser("ann@example.com")
            let (_, other) = try await app.makeUser("bob@example.com")
            let me = try await app.api(.GET, "/api/v1/me", token: first)
            #expect(me.string("email") == "ann@example.com")
            let created = try await app.api(.POST, "/api/v1/me/tokens", token: first, json: ["name": "ci"])
            #expect(created.status == .created)
            let token = try #require(created.string("token"))
            let id = try #require(created.string("id"))
            #expect(token.hasPrefix("hrd_pat_"))
            #expect(try await app.api(.GET, "/api/v1/me", token: token).status == .ok)
            let list = try await app.api(.GET, "/api/v1/me/tokens", token: first)
            #expect(list.array.count == 2)
            #expect(!list.body.contains(token))
            #expect(try await rawDatabaseText(app).contains(token) == false)
            let foreign = try await app.api(.DELETE, "/api/v1/me/tokens/\(id)", token: other)
            #expect(foreign.status == .notFound)
            #expect(try await app.api(.GET, "/api/v1/me", token: token).status == .ok)
            let revoke = try await app.api(.DELETE, "/api/v1/me/tokens/\(id)", token: first)
            #expect(revoke.status == .noContent)
            let refused = try await app.api(.GET, "/api/v1/me", token: token)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers.first(name: .wwwAuthenticate)?.hasPrefix("Bearer") == true)
        }
    }

    @Test("HERALD_ADMIN_EMAIL and HERALD_ADMIN_TOKEN create the first user only on an empty database")
    func adminBootstrap() async throws {
        let token = String(repeating: "a1", count: 20)
        try await withApp(environment: ["HERALD_ADMIN_EMAIL": "Root@Example.com", "HERALD_ADMIN_TOKEN": token]) { app in
            let me = try await app.api(.GET, "/api/v1/me", token: token)
            #expect(me.status == .ok)
            #expect(me.string("email") == "root@example.com")
            let org = try await app.api(.POST, "/api/v1/orgs", token: token, json: ["name": "Acme"])
            #expect(org.string("role") == "owner")
            #expect(try await rawDatabaseText(app).contains(token) == false)
            // Running the preparation again (a restart) creates nothing more.
            try await DatabaseSetup.prepare(app)
            #expect(try await rowCount(app, "users") == 1)
            #expect(try await rowCount(app, "api_tokens") == 1)
        }
    }

    @Test("a bootstrap admin is not created when users exist")
    func adminBootstrapSkipped() async throws {
        try await withApp { app in
            _ = try await app.makeUser("someone@example.com")
            var services = app.herald
            services.configuration.adminEmail = "root@example.com"
            services.configuration.adminToken = String(repeating: "b", count: 40)
            app.herald = services
            try await DatabaseSetup.bootstrapAdmin(app)
            #expect(try await User.query(on: app.db).filter(\.$email == "root@example.com").count() == 0)
        }
    }
}

/// Every value in every tenancy table, as text, for "the secret is not stored" checks.
func rawDatabaseText(_ app: Application) async throws -> String {
    try await databaseText(app, tables: ["organizations", "users", "memberships", "projects", "project_members", "services",
                                         "api_tokens", "event_keys"])
}
