import Fluent
import Foundation
import HeraldCore
import Vapor

/// `herald users …`
struct UsersCommand: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["create": CreateUserCommand(), "set-password": SetPasswordCommand()] }
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

        @Flag(name: "password-stdin", help: "Also set a web password, read from standard input.")
        var passwordStdin: Bool

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
        // The password is read and checked before anything is created.
        let password = signature.passwordStdin ? try PasswordInput.read() : nil
        let directory = Directory(services: app.herald, db: app.db)
        let provisioned: Directory.Provisioned
        do {
            provisioned = try await directory.provision(email: email, name: nameInput, organization: signature.org, role: roleInput,
                                                        tokenName: "cli")
        } catch let error as FieldError {
            throw Failure(description: "--\(error.field) \(error.detail)")
        } catch Directory.Failure.ambiguousOrganization(let name) {
            throw Failure(description: "--org: several organizations are named \(name); pass the organization's id instead")
        } catch Directory.Failure.roleRequired(let name) {
            throw Failure(description: "--role is required to join the existing organization \(name)")
        }
        var messages = [provisioned.createdUser
            ? "Created user \(email) (id \(provisioned.userID.apiString))."
            : "User \(email) already exists (id \(provisioned.userID.apiString)); issuing a new token."]
        if let org = provisioned.organization {
            if org.created { messages.append("Created organization \(org.name) (id \(org.id.apiString)).") }
            messages.append("\(email) is \(org.role.rawValue) of \(org.name).")
        }
        if let password {
            try await AccountService(services: app.herald, db: app.db, threadPool: app.threadPool).setPassword(userID: provisioned.userID, to: password)
            messages.append("Web password set for \(email).")
        }
        let token = provisioned.token
        for message in messages {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        FileHandle.standardError.write(Data("API token (shown once, store it now):\n".utf8))
        context.console.output(token, style: .plain, newLine: true)
    }
}

/// `herald users set-password --email E`: reads a new web password from standard input, sets it,
/// and ends the user's sessions.
struct SetPasswordCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The user's email (required).")
        var email: String?

        init() {}
    }

    var help: String { "Sets a user's web password, read from standard input (their sessions end)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DatabaseSetup.prepare(app)
        let email: String
        do { email = try Validate.email(signature.email ?? "", field: "--email") } catch {
            throw CreateUserCommand.Failure(description: "--email \(error.detail)")
        }
        let password = try PasswordInput.read()
        guard let user = try await User.query(on: app.db).filter(\.$email == email).first() else {
            throw CreateUserCommand.Failure(description: "--email: no user has the email \(email)")
        }
        try await AccountService(services: app.herald, db: app.db, threadPool: app.threadPool).setPassword(userID: try user.requireID(), to: password)
        FileHandle.standardError.write(Data("Web password set for \(email); their sessions have ended.\n".utf8))
    }
}

/// A password from standard input: everything up to the end, one trailing line break dropped.
enum PasswordInput {
    static func read() throws -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        var text = String(decoding: data.prefix(4096), as: UTF8.self)
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        do { try AccountService.validate(password: text, field: "password") } catch {
            throw CreateUserCommand.Failure(description: "the password read from standard input \(error.detail)")
        }
        return text
    }
}
