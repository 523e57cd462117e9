import Foundation

extension UUID {
    /// Exactly `uuidString` (upper-case hex, dashes at 8, 13, 18 and 23), written without the
    /// `snprintf` Foundation uses: SQLite stores ids as this text, and formatting them was 1.4 % of
    /// Herald's CPU at one alert per request.
    public var text: String { written(upperCase: true) }

    /// `uuidString.lowercased()`, the API's form of an id, written the same way.
    public var lowercaseText: String { written(upperCase: false) }

    private func written(upperCase: Bool) -> String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                let hex: StaticString = upperCase ? "0123456789ABCDEF" : "0123456789abcdef"
                let digits = hex.utf8Start
                var o = 0
                for (i, byte) in bytes.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
                    out[o] = digits[Int(byte >> 4)]
                    out[o + 1] = digits[Int(byte & 0x0f)]
                    o += 2
                }
                return o
            }
        }
    }

    /// The id written in the canonical form (36 characters, dashes at 8, 13, 18 and 23, hex digits of
    /// either case everywhere else), read without Foundation's `sscanf`; anything else is nil. It
    /// gives what `UUID(uuidString:)` gives for every canonical text, and is stricter about the
    /// rest: `sscanf` also takes a sign, `0x` or a space where a digit pair should be.
    public init?(text: String) {
        var text = text
        guard let parsed = text.withUTF8({ UUID.parse($0) }) else { return nil }
        self = parsed
    }

    private static func parse(_ s: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard s.count == 36 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c &- UInt8(ascii: "A") &+ 10
            default: nil
            }
        }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var i = 0
            for b in 0..<16 {
                if b == 4 || b == 6 || b == 8 || b == 10 {
                    guard s[i] == UInt8(ascii: "-") else { return false }
                    i += 1
                }
                guard let high = nibble(s[i]), let low = nibble(s[i + 1]) else { return false }
                out[b] = high << 4 | low
                i += 2
            }
            return true
        }
        return ok ? UUID(uuid: bytes) : nil
    }
}
