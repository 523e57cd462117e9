import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// One process per SQLite file (SPEC §10): `serve` and `worker` hold an exclusive `flock` on a lock
/// file named after the database's real path (`<database>.lock`, symlinks resolved), for as long as
/// they run. A second one on the same file is refused at startup: two delivery loops on one file
/// would hand each other's sends in flight back to the queue and post them twice.
///
/// The kernel drops the lock when the process ends, however it ends, so a crash never leaves it stale.
final class SQLiteProcessLock: Sendable {
    let lockPath: String
    let databasePath: String
    private let descriptor = NIOLockedValueBox<Int32>(-1)

    private init(lockPath: String, databasePath: String, descriptor fd: Int32) {
        self.lockPath = lockPath
        self.databasePath = databasePath
        descriptor.withLockedValue { $0 = fd }
    }

    /// Takes the lock for the SQLite database at `path`, or throws a refusal that says why.
    static func acquire(databasePath path: String) throws(StartupRefusal) -> SQLiteProcessLock {
        let resolved = resolve(path)
        let lockPath = resolved + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StartupRefusal("herald: cannot open the lock file \(lockPath) for the SQLite database \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = String(decoding: readAll(fd), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            let who = Int(holder).map { "another Herald process (pid \($0))" } ?? "another Herald process"
            throw StartupRefusal("herald: \(who) is already running on the SQLite database \(resolved); run a single `herald serve` (it runs the delivery workers too), or use PostgreSQL (HERALD_DATABASE_URL=postgres://…) for several processes")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return SQLiteProcessLock(lockPath: lockPath, databasePath: resolved, descriptor: fd)
    }

    /// Releases the lock (closing the descriptor drops it).
    func release() {
        let fd = descriptor.withLockedValue { fd in defer { fd = -1 }; return fd }
        if fd >= 0 { close(fd) }
    }

    deinit { release() }

    /// The database's real path: symlinks resolved, so two spellings of one file share one lock.
    /// A database that does not exist yet is resolved through its directory.
    static func resolve(_ path: String) -> String {
        if let real = realPath(path) { return real }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        return (realPath(directory) ?? directory) + "/" + url.lastPathComponent
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : []
    }
}

/// A reason Herald refuses to start, said in one line; the executable prints it and exits with status 2.
public struct StartupRefusal: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
