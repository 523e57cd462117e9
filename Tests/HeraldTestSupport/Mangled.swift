/// `original` mangled `count` seeded ways, one to three edits each: a byte replaced, dropped or
/// inserted (JSON's punctuation, digits, letters of its literals and escapes, NUL, tab, newline,
/// a stray UTF-8 lead byte, 0xFF), or the end cut off. For checking a reader against another on
/// text that is nearly, but not always, well formed.
public func mangled(_ original: String, count: Int, seed: UInt64) -> [[UInt8]] {
    var rng = SeededGenerator(seed: seed)
    let original = Array(original.utf8)
    let pieces: [UInt8] = Array(#"{}[]",:"\ 0123456789.eE+-tfnulrabd"#.utf8) + [0x00, 0x09, 0x0A, 0xC3, 0xFF]
    return (0..<count).map { _ in
        var bytes = original
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes[i] = pieces.randomElement(using: &rng)!
            case 1: bytes.remove(at: i)
            case 2: bytes.insert(pieces.randomElement(using: &rng)!, at: i)
            default: bytes = Array(bytes[..<i])
            }
        }
        return bytes
    }
}
