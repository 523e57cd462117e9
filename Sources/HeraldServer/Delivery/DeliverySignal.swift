import Foundation
import NIOConcurrencyHelpers

/// Wakes the delivery loop of this process as soon as something is enqueued or a send finishes,
/// so an event is posted within milliseconds rather than at the next poll.
final class DeliverySignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())

    func notify() {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after a `notify()` (possibly one that came before the call) or after `timeout`.
    func wait(timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.waiter?.resume()
                s.waiter = continuation
                return false
            }
            if resumeNow {
                continuation.resume()
                return
            }
            Task { [state] in
                try? await Task.sleep(for: timeout)
                let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
                    defer { s.waiter = nil }
                    return s.waiter
                }
                waiter?.resume()
            }
        }
    }
}
