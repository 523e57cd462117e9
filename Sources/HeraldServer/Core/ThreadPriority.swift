import Foundation

/// The calling thread's scheduling priority: the SQLite writers' threads ask for a higher one, the
/// delivery loop's for a lower one (see ``SQLiteWriter`` and ``DeliveryEventLoop``).
enum ThreadPriority {
    /// Sets the calling thread's nice value; returns why not, when the system refuses (the thread
    /// then keeps its priority).
    static func setCurrent(nice: Int32) -> String? {
        #if os(Linux)
        // On Linux, PRIO_PROCESS with 0 is the calling thread.
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) == 0 ? nil : String(cString: strerror(errno))
        #else
        "per-thread priorities are Linux only"
        #endif
    }
}
