import NIOConcurrencyHelpers
import RoutingKit
import Vapor

/// SPEC §8: a known path called with a method it does not serve answers `405` with `Allow`, not
/// `404`. This is the router turned around: path patterns to the methods registered for them
/// (`HEAD` wherever `GET` is, as Vapor answers it), built from the application's routes on first
/// use and again whenever routes were added since.
final class AllowedMethods: Sendable {
    private struct Index: @unchecked Sendable {
        var routeCount = -1
        var router = TrieRouter<[String]>()
    }

    private let index = NIOLockedValueBox(Index())

    /// The methods served at `path`, sorted, or nil when no route has that path.
    func methods(at path: String, in routes: Routes) -> [String]? {
        let components = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        return index.withLockedValue { index in
            if index.routeCount != routes.all.count { index = Self.build(routes) }
            var parameters = Parameters()
            return index.router.route(path: components, parameters: &parameters)
        }
    }

    private static func build(_ routes: Routes) -> Index {
        var byPath: [String: (path: [PathComponent], methods: Set<String>)] = [:]
        for route in routes.all {
            let key = route.path.map(\.description).joined(separator: "/")
            byPath[key, default: (route.path, [])].methods.insert(route.method.rawValue)
        }
        var index = Index()
        index.routeCount = routes.all.count
        for (_, entry) in byPath {
            var methods = entry.methods
            if methods.contains("GET") { methods.insert("HEAD") }
            index.router.register(methods.sorted(), at: entry.path)
        }
        return index
    }
}
