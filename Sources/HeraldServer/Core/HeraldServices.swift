import Foundation
import HeraldCore
import SlackAPI
import SlackSandbox
import Vapor

/// Herald's shared services, built once in ``configure(_:configuration:overrides:)``.
struct HeraldServices: Sendable {
    var configuration: HeraldConfiguration
    var secrets: SecretsBox
    var credentials: CredentialFactory
    var metrics: HeraldMetrics
    /// Herald's Slack Web API client (pointed at the sandbox in `--sandbox` mode).
    var slack: SlackClient
    /// The built-in Slack workspace, when `--sandbox` (or a test) mounted it.
    var sandbox: SandboxWorkspace?
}

extension Application {
    private struct HeraldServicesKey: StorageKey {
        typealias Value = HeraldServices
    }

    /// Herald's services; set by `configure`.
    var herald: HeraldServices {
        get {
            guard let services = storage[HeraldServicesKey.self] else {
                fatalError("configure(_:configuration:) was not called")
            }
            return services
        }
        set { storage[HeraldServicesKey.self] = newValue }
    }
}

extension Request {
    var herald: HeraldServices { application.herald }
}
