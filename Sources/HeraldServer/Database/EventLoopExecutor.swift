import NIOConcurrencyHelpers
import NIOCore

/// Runs a task's jobs on one NIO event loop: the loop that owns a database connection. A
/// transaction's statements complete on that loop, so a task preferring it goes on with the next
/// statement without a thread switch (on the default executor, every statement costs two).
/// Only short, non-blocking work belongs here: the loop also serves network I/O.
final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    /// An executor for a loop that its owner shuts down (``of(_:)`` keeps its executors for the
    /// life of the process).
    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    private static let executors = NIOLockedValueBox<[ObjectIdentifier: EventLoopExecutor]>([:])

    /// The executor of `loop` (one per loop, kept for the life of the process).
    static func of(_ loop: any EventLoop) -> EventLoopExecutor {
        executors.withLockedValue { all in
            if let known = all[ObjectIdentifier(loop)] { return known }
            let made = EventLoopExecutor(loop: loop)
            all[ObjectIdentifier(loop)] = made
            return made
        }
    }
}
