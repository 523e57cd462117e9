import Foundation
import HeraldCore
import Vapor

/// Herald's shared services, built once in ``configure(_:configuration:overrides:)``.
struct HeraldServices: Sendable {
    var configuration: HeraldConfiguration
    var secrets: SecretsBox
    var credentials: CredentialFactory
    var metrics: HeraldMetrics
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
