import Outbound
import Foundation
import SlackAPI
import Vapor

/// The built-in Slack workspace behind `serve --sandbox` and the tests. Herald's server knows it
/// only through this protocol: the workspace itself (module SlackSandbox) is linked into the
/// `herald` executable and the tests (through module HeraldSandbox), never into HeraldServer.
public protocol SlackSandboxHost: Sendable {
    /// Mounts the workspace's routes (`/sandbox…`) on `app`; `now` is Herald's clock, so tests that
    /// drive time drive both.
    func mount(on app: Application, clientID: String, clientSecret: String,
               now: @escaping @Sendable () -> Date) throws -> any SlackSandboxInstance
}

/// One mounted sandbox workspace.
public protocol SlackSandboxInstance: Sendable {
    /// Reaches the workspace inside the process, without HTTP (tests).
    var inProcessTransport: any OutboundTransport { get }
    /// Makes `token` a valid bot token of the workspace.
    func register(botToken: String) async
    /// Where the workspace sends Herald's app the requests Slack would (clicks, commands, modals,
    /// messages), signed with `signingSecret`.
    func connect(herald baseURL: URL, transport: any OutboundTransport, signingSecret: String) async
}

extension Application {
    private struct SlackSandboxHostKey: StorageKey {
        typealias Value = any SlackSandboxHost
    }

    /// What `serve --sandbox` mounts; set by the executable (nil: this build has no sandbox).
    public var slackSandboxHost: (any SlackSandboxHost)? {
        get { storage[SlackSandboxHostKey.self] }
        set { storage[SlackSandboxHostKey.self] = newValue }
    }
}
