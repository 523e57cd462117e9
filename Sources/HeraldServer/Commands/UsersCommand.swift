import Fluent
import Foundation
import HeraldCore
import Vapor

/// `herald users …`
struct UsersCommand: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["create": CreateUserCommand()] }
    var help: String { "Manages users." }
}

/// `herald users create --email E [--name N] [--org ORG --role ROLE]`: creates the user (or finds an
/// existing one) and, with `--org`, its membership (creating the organization if no organization has
/// that id or name); prints a new API token once, alone on standard output, so scripts can capture it.
struct CreateUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The user's email (required).")
        var email: String?

        @Option(name: "name", help: "Display name (default: the part of the email before @).")
        var name: String?

        @Option(name: "org", help: "Organization id or name; created (with this user as owner) if none matches.")
        var org: String?

        @Option(name: "role", help: "owner, admin, responder or stakeholder (default owner for a new organization).")
        var role: String?

        init() {}
    }

    var help: String { "Creates a user (and with --org, a membership) and prints a new API token once." }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DatabaseSetup.prepare(app)
        let email: String
        do { email = try Validate.email(signature.email ?? "", field: "--email") } catch {
            throw Failure(description: "--email \(error.detail)")
        }
        var nameInput: String?
        if let raw = signature.name {
            do { nameInput = try Validate.name(raw, field: "--name") } catch { throw Failure(description: "--name \(error.detail)") }
        }
        var roleInput: OrgRole?
        if let raw = signature.role {
            guard signature.org != nil else { throw Failure(description: "--role needs --org") }
            guard let r = OrgRole(rawValue: raw.lowercased()) else {
                throw Failure(description: "--role must be one of owner, admin, responder, stakeholder")
            }
            roleInput = r
        }
        let factory = app.herald.credentials
        let (name, role) = (nameInput, roleInput)
        let (messages, token) = try await app.herald.writeGate.transaction(app.db) { db -> ([String], String) in
            var messages: [String] = []
            var user = try await User.query(on: db).filter(\.$email == email).first()
            if let existing = user {
                messages.append("User \(email) already exists (id \(try existing.requireID().apiString)); issuing a new token.")
            } else {
                let created = User(email: email, name: name ?? String(email.split(separator: "@")[0]))
                try await created.create(on: db)
                user = created
                messages.append("Created user \(email) (id \(try created.requireID().apiString)).")
            }
            let userID = try user!.requireID()
            if let orgRef = signature.org {
                var org = try await Self.findOrg(orgRef, on: db)
                var isNew = false
                if org == nil {
                    let orgName: String
                    do { orgName = try Validate.name(orgRef, field: "--org") } catch let error as FieldError { throw Failure(description: "--org \(error.detail)") }
                    let created = Organization(name: orgName)
                    try await created.create(on: db)
                    org = created
                    isNew = true
                    messages.append("Created organization \(orgName) (id \(try created.requireID().apiString)).")
                }
                let orgID = try org!.requireID()
                guard let effectiveRole = role ?? (isNew ? .owner : nil) else {
                    throw Failure(description: "--role is required to join the existing organization \(org!.name)")
                }
                if let membership = try await Membership.query(on: db).filter(\.$organization.$id == orgID)
                    .filter(\.$user.$id == userID).first()
                {
                    membership.role = effectiveRole.rawValue
                    try await membership.save(on: db)
                } else {
                    try await Membership(organizationID: orgID, userID: userID, role: effectiveRole).create(on: db)
                }
                messages.append("\(email) is \(effectiveRole.rawValue) of \(org!.name).")
            }
            let (_, token) = try await APIToken.issue(for: userID, name: "cli", factory: factory, on: db)
            return (messages, token)
        }
        for message in messages {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        FileHandle.standardError.write(Data("API token (shown once, store it now):\n".utf8))
        context.console.output(token, style: .plain, newLine: true)
    }

    /// The organization with id `ref`, else the one named `ref` (any case). Names are not unique
    /// across tenants: when several organizations have the name, the id is required.
    static func findOrg(_ ref: String, on db: any Database) async throws -> Organization? {
        if let id = UUID(uuidString: ref), let org = try await Organization.find(id, on: db) { return org }
        let named = try await Organization.query(on: db).filter(\.$nameKey == ref.trimmingCharacters(in: .whitespaces).lowercased())
            .limit(2).all()
        guard named.count <= 1 else {
            throw Failure(description: "--org: several organizations are named \(ref); pass the organization's id instead")
        }
        return named.first
    }
}
