import Outbound
import Foundation
import HeraldServer
import SlackAPI
import SlackSandbox
import Vapor

/// `herald serve --sandbox` and the tests: the SlackSandbox workspace, mounted in Herald's app.
public struct BuiltInSlackSandbox: SlackSandboxHost {
    public init() {}

    public func mount(on app: Application, clientID: String, clientSecret: String,
                      now: @escaping @Sendable () -> Date) throws -> any SlackSandboxInstance {
        let workspace = SandboxWorkspace(clientID: clientID, clientSecret: clientSecret, now: now)
        try app.register(collection: SandboxRoutes(workspace: workspace))
        return MountedSlackSandbox(workspace: workspace)
    }
}

/// A mounted workspace; tests reach its messages and faults through `workspace`.
public struct MountedSlackSandbox: SlackSandboxInstance {
    public let workspace: SandboxWorkspace

    public var inProcessTransport: any OutboundTransport {
        SandboxTransport(handler: SandboxHTTPHandler(workspace: workspace))
    }

    public func register(botToken: String) async {
        await workspace.register(botToken: botToken)
    }

    public func connect(herald baseURL: URL, transport: any OutboundTransport, signingSecret: String) async {
        await workspace.connect(herald: baseURL, transport: transport, signingSecret: signingSecret)
    }
}
