import Foundation

/// `Retry-After` as RFC 9110 §10.2.3 defines it: `delay-seconds` (digits) or an `HTTP-date`
/// (IMF-fixdate, or the obsolete RFC 850 and asctime forms). Parsing never traps, whatever the
/// header holds: a huge delay is cut to ``maximum``, and garbage, negative values and dates that
/// are not after `now` mean "no Retry-After" (retry with the usual backoff).
public enum RetryAfter {
    /// The longest wait a Retry-After can ask for here: 31 days, the longest `HERALD_DELIVERY_MAX_AGE`.
    /// The retry policy clamps it further, to the delivery's remaining max age.
    public static let maximum: Duration = .seconds(maximumSeconds)
    static let maximumSeconds: Int64 = 31 * 86_400

    /// The wait `value` asks for, from `now`; nil when there is no usable value.
    public static func parse(_ value: String?, now: Date) -> Duration? {
        guard let value else { return nil }
        let text = value.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if let first = text.utf8.first, isDigit(first) {
            return delaySeconds(Array(text.utf8))
        }
        guard let date = httpDate(text, now: now) else { return nil }
        let wait = date.timeIntervalSince(now)
        guard wait > 0 else { return nil }
        guard wait < Double(maximumSeconds) else { return maximum }
        return .milliseconds(Int64((wait * 1000).rounded(.up)))
    }

    /// Digits, optionally followed by a fraction (Slack sends whole seconds; a fraction is
    /// tolerated and rounded up to the millisecond). Saturates at ``maximum``.
    static func delaySeconds(_ bytes: [UInt8]) -> Duration? {
        var index = 0
        var seconds: Int64 = 0
        while index < bytes.count, isDigit(bytes[index]) {
            if seconds < maximumSeconds { seconds = seconds * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
            index += 1
        }
        var millis: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            guard index > start else { return nil }
            // The first three digits, rounded up if anything follows them.
            var scale: Int64 = 100
            for (offset, byte) in bytes[start..<index].enumerated() {
                if offset < 3 {
                    millis += Int64(byte - UInt8(ascii: "0")) * scale
                    scale /= 10
                } else if byte != UInt8(ascii: "0") {
                    millis += 1
                    break
                }
            }
        }
        guard index == bytes.count else { return nil }
        if seconds >= maximumSeconds { return maximum }
        return .seconds(seconds) + .milliseconds(millis)
    }

    /// An HTTP-date in any of its three forms, in GMT; nil if it is not one or names no real time.
    static func httpDate(_ text: String, now: Date) -> Date? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day, month, year, hour, minute, second: Int?
        switch words.count {
        case 6 where words[0].hasSuffix(",") && words[5] == "GMT":
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard weekdays.contains(String(words[0].dropLast())) else { return nil }
            day = number(words[1], digits: 2...2)
            month = months.firstIndex(of: words[2]).map { $0 + 1 }
            year = number(words[3], digits: 4...4)
            (hour, minute, second) = clock(words[4])
        case 4 where words[0].hasSuffix(",") && words[3] == "GMT":
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            guard longWeekdays.contains(String(words[0].dropLast())) else { return nil }
            let parts = words[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { return nil }
            day = number(parts[0], digits: 2...2)
            month = months.firstIndex(of: parts[1]).map { $0 + 1 }
            year = number(parts[2], digits: 2...2).map { fullYear(twoDigits: $0, now: now) }
            (hour, minute, second) = clock(words[2])
        case 5:
            // asctime: Sun Nov  6 08:49:37 1994
            guard weekdays.contains(words[0]) else { return nil }
            month = months.firstIndex(of: words[1]).map { $0 + 1 }
            day = number(words[2], digits: 1...2)
            (hour, minute, second) = clock(words[3])
            year = number(words[4], digits: 4...4)
        default:
            return nil
        }
        guard let day, let month, let year, let hour, let minute, let second,
              hour < 24, minute < 60, second < 61, day >= 1
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT") ?? .current
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        guard let monthStart = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
              let days = calendar.range(of: .day, in: .month, for: monthStart), days.contains(day)
        else { return nil }
        return calendar.date(from: components)
    }

    /// RFC 9110: a two-digit year more than 50 years in the future means the most recent past year with those digits.
    static func fullYear(twoDigits: Int, now: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT") ?? .current
        let current = calendar.component(.year, from: now)
        var year = current - current % 100 + twoDigits
        if year > current + 50 { year -= 100 }
        return year
    }

    private static func clock(_ text: String) -> (Int?, Int?, Int?) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return (nil, nil, nil) }
        return (number(parts[0], digits: 2...2), number(parts[1], digits: 2...2), number(parts[2], digits: 2...2))
    }

    private static func number(_ text: String, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.utf8.count), text.utf8.allSatisfy(isDigit) else { return nil }
        return Int(text)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longWeekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
