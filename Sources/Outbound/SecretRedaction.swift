import Foundation

/// Removing secrets from text bound for an error, a log or an answer: the one rule for Slack's
/// client and every sink.
public enum SecretRedaction {
    /// Removes every secret from text bound for an error: each secret whole, and for a URL its
    /// path, its last path segment and each query value (a Teams `sig`), as written, percent-decoded
    /// and with JSON's escaped slashes.
    public static func remove(_ secrets: [String], from text: String) -> String {
        var parts: Set<String> = []
        var wholes: Set<String> = []
        for secret in secrets where secret.count >= 4 {
            wholes.insert(secret)
            guard let url = URL(string: secret), let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { continue }
            parts.insert(components.percentEncodedPath)
            parts.insert(url.path)
            parts.insert(url.lastPathComponent)
            for item in components.percentEncodedQueryItems ?? [] { if let value = item.value { parts.insert(value) } }
            for item in components.queryItems ?? [] { if let value = item.value { parts.insert(value) } }
        }
        var text = text
        // Pieces of a URL shorter than 6 characters (`/hooks`) say nothing secret.
        for part in wholes.union(parts.filter { $0.count >= 6 }).sorted(by: { $0.count > $1.count }) {
            for form in Set([part, part.replacingOccurrences(of: "/", with: "\\/")]) {
                text = text.replacingOccurrences(of: form, with: "[redacted]")
            }
        }
        return text
    }
}
