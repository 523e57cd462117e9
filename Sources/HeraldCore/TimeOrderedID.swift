import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits.
    /// Rows keyed by these are inserted at the end of their B-tree indexes instead of at random
    /// places, which keeps busy tables' writes on a few pages.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        var rng = SystemRandomNumberGenerator()
        return timeOrdered(at: date, using: &rng)
    }

    public static func timeOrdered(at date: Date, using rng: inout some RandomNumberGenerator) -> UUID {
        // 48 bits of milliseconds; a date outside them (or NaN) is clamped rather than trapping.
        let raw = date.timeIntervalSince1970 * 1000
        let millis = raw.isFinite ? UInt64(min(max(raw, 0), Double(1 << 48 - 1))) : 0
        let a = rng.next() as UInt64, b = rng.next() as UInt64
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { bytes in
            for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - i))) }
            for i in 6..<16 { bytes[i] = UInt8(truncatingIfNeeded: (i < 14 ? a : b) >> (8 * (i % 8))) }
            bytes[6] = 0x70 | (bytes[6] & 0x0f)  // version 7
            bytes[8] = 0x80 | (bytes[8] & 0x3f)  // variant 10
        }
        return UUID(uuid: bytes)
    }
}
