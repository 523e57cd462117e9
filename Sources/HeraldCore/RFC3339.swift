import Foundation

/// Timestamps as RFC 3339 §5.6 `date-time` defines them, the `format` of the API document:
/// `2024-05-01T12:00:00Z`, any fraction of a second, `Z` or a `±hh:mm` offset, `T` and `Z` in
/// either case. A leap second (`:60`) is a time only at 23:59 UTC, and counts as :59. Exactly what
/// JSON Schema validators accept, so the document and the server agree on every string.
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.count <= 64 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for byte in b[at..<(at + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            var scale = 0.1
            while index < b.count, b[index] >= UInt8(ascii: "0"), b[index] <= UInt8(ascii: "9") {
                fraction += Double(b[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < b.count else { return nil }
        var offsetMinutes = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = digits(index + 1, 2), index + 3 < b.count, b[index + 3] == UInt8(ascii: ":"),
                  let om = digits(index + 4, 2), oh <= 23, om <= 59
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == b.count, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }
        // Minutes since midnight, in UTC.
        let utcMinute = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
        if second == 60, utcMinute != 23 * 60 + 59 { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = Double(days) * 86_400 + Double(hour * 3600 + minute * 60 + min(second, 59) - offsetMinutes * 60) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// What senders of other formats write too: RFC 3339, or ISO 8601 with a space for `T`, an
    /// offset without its colon (`+0000`, as PagerDuty's own examples do) or `+hh`. Nil otherwise.
    public static func parseLenient(_ text: String) -> Date? {
        if let date = parse(text) { return date }
        var b = Array(text.utf8)
        guard b.count >= 20, b.count <= 64 else { return nil }
        if b[10] == UInt8(ascii: " ") { b[10] = UInt8(ascii: "T") }
        // A trailing +hhmm or +hh offset gets its colon (and minutes).
        let digit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        let n = b.count
        if n >= 5, b[n - 5] == UInt8(ascii: "+") || b[n - 5] == UInt8(ascii: "-"), b[(n - 4)...].allSatisfy(digit) {
            b.insert(UInt8(ascii: ":"), at: n - 2)
        } else if n >= 3, b[n - 3] == UInt8(ascii: "+") || b[n - 3] == UInt8(ascii: "-"), b[(n - 2)...].allSatisfy(digit) {
            b += Array(":00".utf8)
        }
        return parse(String(decoding: b, as: UTF8.self))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
