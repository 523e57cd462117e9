import Foundation
import HeraldCore
import Testing

/// Ids are stored as Foundation's `uuidString`; the direct path must write the same text and
/// accept exactly what `UUID(uuidString:)` accepts.
@Suite struct UUIDTextTests {
    static let fixed: [UUID] = [
        UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
        UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
        UUID(uuidString: "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B")!,
        UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_700_000_000)),
    ]

    @Test("writes uuidString", arguments: fixed)
    func writes(_ id: UUID) {
        #expect(id.text == id.uuidString)
        #expect(id.lowercaseText == id.uuidString.lowercased())
    }

    @Test("writes uuidString and reads it back, for random ids")
    func randomRoundTrip() {
        for _ in 0..<2_000 {
            let id = UUID()
            #expect(id.text == id.uuidString)
            #expect(id.lowercaseText == id.uuidString.lowercased())
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.uuidString.lowercased()) == id)
        }
    }

    /// The canonical form, spelt out independently of both parsers.
    static func isCanonical(_ text: String) -> Bool {
        text.wholeMatch(of: /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/) != nil
    }

    /// Reads the canonical form as Foundation does, and nothing else.
    static func check(_ text: String) {
        let mine = UUID(text: text)
        #expect((mine != nil) == isCanonical(text), "\(text)")
        if mine != nil { #expect(mine == UUID(uuidString: text), "\(text)") }
    }

    @Test("reads what UUID(uuidString:) reads in the canonical form, and refuses every other form", arguments: [
        "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0193a1B2-C3d4-7E5f-8a9B-0c1D2e3F4a5b",
        "", "0193A1B2C3D47E5F8A9B0C1D2E3F4A5B", "{0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B}", " 0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
        "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B ", "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5", "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5BC",
        "0193A1B2_C3D4-7E5F-8A9B-0C1D2E3F4A5B", "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5G", "0193A1B2-C3D4-7E5F-8A9B0-C1D2E3F4A5B",
        "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5é", "+193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", "-193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
        "0x93A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
    ])
    func parses(_ text: String) {
        Self.check(text)
    }

    @Test("refuses any one character of a valid id replaced by one out of place")
    func everyPosition() {
        let valid = Array("0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B")
        for position in valid.indices {
            for replacement in ["-", "g", "G", " ", "+", "x", "0", "f", "/", ":", "@", "`", "\u{0}", "é"] as [Character] {
                var text = valid
                text[position] = replacement
                Self.check(String(text))
            }
        }
    }
}
