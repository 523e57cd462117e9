import Foundation
import HeraldCore
import Testing

@Suite("Time-ordered ids and hex")
struct TimeOrderedIDTests {
    @Test("version 7 layout: the time in the first 48 bits, version 7, variant 10, later ids sort later")
    func layout() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.123)
        let id = UUID.timeOrdered(at: date)
        let b = withUnsafeBytes(of: id.uuid) { Array($0) }
        let millis = b[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(millis == 1_795_000_000_123)
        #expect(b[6] >> 4 == 7)
        #expect(b[8] >> 6 == 0b10)
        #expect(id.uuidString.dropFirst(14).first == "7")
        var previous = UUID.timeOrdered(at: date)
        for step in 1...200 {
            let next = UUID.timeOrdered(at: date.addingTimeInterval((Double(step) + 0.5) / 1000))
            let (p, n) = (withUnsafeBytes(of: previous.uuid) { Array($0) }, withUnsafeBytes(of: next.uuid) { Array($0) })
            #expect(p.lexicographicallyPrecedes(n), "\(previous) then \(next)")
            previous = next
        }
        // The random part differs within one millisecond.
        #expect(Set((0..<100).map { _ in UUID.timeOrdered(at: date) }).count == 100)
    }

    @Test("hex encoding", arguments: [([UInt8](), ""), ([0x00, 0x0f, 0xa0, 0xff], "000fa0ff"), ([0x12, 0x34], "1234")])
    func hex(bytes: [UInt8], expected: String) {
        #expect(bytes.hexString == expected)
    }
}
