import Crypto

/// A JSON document parsed into a flat list of nodes over its bytes (a "tape"), as strictly as `JSONParser` parses.
///
/// Nothing is allocated per value: a node is three integers naming where its text is. That is what a snapshot poll
/// needs from a body of tens of megabytes: its canonical hash and a compact copy to store, without building the
/// `JSONValue` tree (about seven times the text). The tree is built only when a caller needs it (`value(at:)`).
///
/// Objects list their members as key, value, key, value… in the order written; a repeated key is kept in the
/// tape and resolved as `JSON.parse` resolves it (first position, last value) by every reader.
public struct JSONTape: Sendable {
    public enum Kind: UInt8, Sendable {
        case null, `false`, `true`, number
        /// A string whose bytes between the quotes are its UTF-8 text: no escapes, valid UTF-8.
        case plainString
        /// A string with escapes (or bytes that are not valid UTF-8): decoded when read.
        case escapedString
        case array, object
    }

    /// Twelve bytes per value: where its text starts, its kind and length packed in one word, and for a
    /// container where its subtree ends.
    struct Node {
        /// Offset of the token; for strings, of the first byte after the opening quote.
        var start: UInt32
        /// The kind in the top three bits; the token's length in bytes in the others (strings: between the quotes;
        /// containers: brackets included).
        private var packed: UInt32
        /// Containers: the index of the first node after the container's last descendant.
        var end: UInt32

        init(start: UInt32, length: UInt32, end: UInt32, kind: Kind) {
            self.start = start
            self.packed = UInt32(kind.rawValue) << 29 | length
            self.end = end
        }

        var kind: Kind { Kind(rawValue: UInt8(packed >> 29))! }

        var length: UInt32 {
            get { packed & JSONTape.maximumLength }
            set { packed = packed & ~JSONTape.maximumLength | newValue }
        }
    }

    /// The longest text a tape can hold (512 MiB): lengths have 29 bits.
    public static let maximumLength: UInt32 = (1 << 29) - 1

    public let bytes: [UInt8]
    var nodes: [Node]
    /// Whether the text had white space between tokens (a compact copy must then be written, not sliced).
    public private(set) var hasWhitespace = false

    /// The root node.
    public static let root = 0

    public func kind(_ node: Int) -> Kind { nodes[node].kind }

    // MARK: Parsing

    /// Parses one JSON document of at most `maximumLength` bytes.
    public static func parse(_ bytes: [UInt8]) throws(JSONParser.SyntaxError) -> JSONTape {
        guard bytes.count <= Int(maximumLength) else {
            throw JSONParser.SyntaxError(message: "Too large for a tape (512 MiB at most)", bytes: [], offset: 0)
        }
        var builder = Builder(bytes: bytes)
        // Snapshots have about one value per ten bytes; capacity not used is never touched, so costs no memory.
        builder.nodes.reserveCapacity(bytes.count / 6 + 16)
        builder.skipWhitespace()
        try builder.parseValue()
        builder.skipWhitespace()
        if builder.index < bytes.count { throw builder.error("Unexpected data after the JSON value") }
        var tape = JSONTape(bytes: bytes, nodes: builder.nodes)
        tape.hasWhitespace = builder.sawWhitespace
        return tape
    }

    private init(bytes: [UInt8], nodes: [Node]) {
        self.bytes = bytes
        self.nodes = nodes
    }

    private struct Builder {
        let bytes: [UInt8]
        var index = 0
        var depth = 0
        var nodes: [Node] = []
        var sawWhitespace = false

        mutating func parseValue() throws(JSONParser.SyntaxError) {
            guard index < bytes.count else { throw error("Unexpected end of input, expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try parseContainer(closing: UInt8(ascii: "}"), kind: .object)
            case UInt8(ascii: "["): try parseContainer(closing: UInt8(ascii: "]"), kind: .array)
            case UInt8(ascii: "\""): try parseString()
            case UInt8(ascii: "t"): try literal("true", .true)
            case UInt8(ascii: "f"): try literal("false", .false)
            case UInt8(ascii: "n"): try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
            default: throw error("Unexpected character \(describe(bytes[index])), expected a value")
            }
        }

        mutating func parseContainer(closing: UInt8, kind: Kind) throws(JSONParser.SyntaxError) {
            depth += 1
            if depth > JSONParser.maximumDepth { throw error("Nesting deeper than \(JSONParser.maximumDepth) levels") }
            let me = nodes.count
            let start = index
            nodes.append(Node(start: UInt32(index), length: 0, end: 0, kind: kind))
            index += 1
            skipWhitespace()
            if peek() == closing {
                index += 1
            } else {
                loop: while true {
                    skipWhitespace()
                    if kind == .object {
                        guard peek() == UInt8(ascii: "\"") else { throw error("Expected a string key in object") }
                        try parseString()
                        skipWhitespace()
                        guard peek() == UInt8(ascii: ":") else { throw error("Expected ':' after object key") }
                        index += 1
                        skipWhitespace()
                    }
                    try parseValue()
                    skipWhitespace()
                    switch peek() {
                    case UInt8(ascii: ","): index += 1
                    case closing:
                        index += 1
                        break loop
                    default:
                        throw error(kind == .object ? "Expected ',' or '}' in object" : "Expected ',' or ']' in array")
                    }
                }
            }
            depth -= 1
            nodes[me].length = UInt32(index - start)
            nodes[me].end = UInt32(nodes.count)
        }

        mutating func parseString() throws(JSONParser.SyntaxError) {
            index += 1
            let start = index
            var plain = true
            var nonASCII = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    if nonASCII && plain && !Self.isValidUTF8(bytes, start, index) { plain = false }
                    nodes.append(
                        Node(
                            start: UInt32(start), length: UInt32(index - start), end: 0,
                            kind: plain ? .plainString : .escapedString))
                    index += 1
                    return
                }
                if byte == UInt8(ascii: "\\") {
                    plain = false
                    index += 1
                    guard index < bytes.count else { break }
                    switch bytes[index] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        index += 1
                        guard index + 4 <= bytes.count else { throw error("Truncated \\u escape") }
                        for _ in 0..<4 {
                            guard Self.isHexDigit(bytes[index]) else { throw error("Invalid hex digit in \\u escape") }
                            index += 1
                        }
                    default:
                        throw error("Invalid escape sequence")
                    }
                    continue
                }
                if byte < 0x20 { throw error("Unescaped control character in string") }
                if byte >= 0x80 { nonASCII = true }
                index += 1
            }
            throw error("Unterminated string")
        }

        mutating func parseNumber() throws(JSONParser.SyntaxError) {
            let start = index
            if peek() == UInt8(ascii: "-") { index += 1 }
            guard let first = peek(), isDigit(first) else { throw error("Invalid number") }
            if first == UInt8(ascii: "0") {
                index += 1
                if let next = peek(), isDigit(next) { throw error("Leading zeros are not allowed in numbers") }
            } else {
                while let byte = peek(), isDigit(byte) { index += 1 }
            }
            try JSONParser.scanFractionAndExponent(bytes, at: &index)
            nodes.append(Node(start: UInt32(start), length: UInt32(index - start), end: 0, kind: .number))
        }

        mutating func literal(_ text: StaticString, _ kind: Kind) throws(JSONParser.SyntaxError) {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error("Unexpected end of input") }
            let matches = text.withUTF8Buffer { expected in
                (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
            }
            guard matches else { throw error("Unexpected character \(describe(bytes[index])), expected a value") }
            nodes.append(Node(start: UInt32(index), length: UInt32(count), end: 0, kind: kind))
            index += count
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        static func isHexDigit(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D:
                    index += 1
                    sawWhitespace = true
                default: return
                }
            }
        }

        /// Whether `bytes[start..<end]` is well-formed UTF-8 (what `String(decoding:as:)` keeps unchanged).
        static func isValidUTF8(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
            var index = start
            while index < end {
                let lead = bytes[index]
                if lead < 0x80 {
                    index += 1
                    continue
                }
                let length: Int
                var low: UInt8 = 0x80
                var high: UInt8 = 0xBF
                switch lead {
                case 0xC2...0xDF: length = 2
                case 0xE0:
                    length = 3
                    low = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xED:
                    length = 3
                    high = 0x9F
                case 0xF0:
                    length = 4
                    low = 0x90
                case 0xF1...0xF3: length = 4
                case 0xF4:
                    length = 4
                    high = 0x8F
                default: return false
                }
                guard index + length <= end, (low...high).contains(bytes[index + 1]) else { return false }
                for offset in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[index + offset]) {
                    return false
                }
                index += length
            }
            return true
        }

        func describe(_ byte: UInt8) -> String {
            if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x" + String(byte, radix: 16, uppercase: true)
        }

        func error(_ message: String) -> JSONParser.SyntaxError {
            JSONParser.SyntaxError(message: message, bytes: bytes, offset: index)
        }
    }

    // MARK: Reading

    /// The nodes of a container's elements (arrays) or members' keys and values (objects, alternating).
    func children(_ node: Int) -> ChildSequence { ChildSequence(nodes: nodes, container: node) }

    struct ChildSequence: Sequence, IteratorProtocol {
        let nodes: [Node]
        var following: Int
        let end: Int

        init(nodes: [Node], container: Int) {
            self.nodes = nodes
            following = container + 1
            end = Int(nodes[container].end)
        }

        mutating func next() -> Int? {
            guard following < end else { return nil }
            let current = following
            let node = nodes[current]
            following = node.kind == .array || node.kind == .object ? Int(node.end) : current + 1
            return current
        }
    }

    /// The members of an object as (key node, value node), as `JSON.parse` sees them: a repeated key keeps its
    /// first position and takes its last value.
    public func members(_ node: Int) -> [(key: Int, value: Int)] {
        guard nodes[node].kind == .object else { return [] }
        var members: [(key: Int, value: Int)] = []
        var children = self.children(node)
        var firstPosition: [String: Int]?
        while let key = children.next(), let value = children.next() {
            if members.count == 16 && firstPosition == nil {
                firstPosition = [:]
                for (offset, member) in members.enumerated() where firstPosition![string(member.key)] == nil {
                    firstPosition![string(member.key)] = offset
                }
            }
            let existing: Int?
            if firstPosition != nil {
                let text = string(key)
                existing = firstPosition![text]
                if existing == nil { firstPosition![text] = members.count }
            } else {
                existing = members.firstIndex { sameString($0.key, key) }
            }
            if let existing {
                members[existing].value = value
            } else {
                members.append((key, value))
            }
        }
        return members
    }

    /// The value node of `key` in an object node.
    public func member(_ key: String, of node: Int) -> Int? {
        members(node).first { string($0.key) == key }?.value
    }

    /// The text of a string node (nil for another kind).
    public func stringValue(_ node: Int) -> String? {
        switch nodes[node].kind {
        case .plainString, .escapedString: string(node)
        default: nil
        }
    }

    func string(_ node: Int) -> String {
        let n = nodes[node]
        let start = Int(n.start)
        let end = start + Int(n.length)
        if n.kind == .plainString {
            return bytes.withUnsafeBufferPointer {
                String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self)
            }
        }
        // Escapes: the ordinary parser decodes them (lone surrogates become U+FFFD, as it does everywhere).
        return (try? JSONParser.parse(Array(bytes[(start - 1)...end])))?.stringValue ?? ""
    }

    private func sameString(_ a: Int, _ b: Int) -> Bool {
        let x = nodes[a]
        let y = nodes[b]
        if x.kind == .plainString && y.kind == .plainString {
            guard x.length == y.length else { return false }
            return bytes.withUnsafeBufferPointer { buffer in
                let left = UnsafeBufferPointer(rebasing: buffer[Int(x.start)..<Int(x.start + x.length)])
                let right = UnsafeBufferPointer(rebasing: buffer[Int(y.start)..<Int(y.start + y.length)])
                return left.elementsEqual(right)
            }
        }
        return string(a) == string(b)
    }

    /// JavaScript's string order (`jsStringLess`) between two string nodes, on their bytes when both are plain.
    private func stringLess(_ a: Int, _ b: Int) -> Bool {
        let x = nodes[a]
        let y = nodes[b]
        if x.kind == .plainString && y.kind == .plainString {
            let decided: Bool? = bytes.withUnsafeBufferPointer { buffer in
                let common = Int(min(x.length, y.length))
                let left = Int(x.start)
                let right = Int(y.start)
                for offset in 0..<common {
                    let p = buffer[left + offset]
                    let q = buffer[right + offset]
                    if p != q { return p < 0xEE && q < 0xEE ? p < q : nil }
                }
                return x.length < y.length
            }
            if let decided { return decided }
        }
        return jsStringLess(string(a), string(b))
    }

    // MARK: Tree

    /// The `JSONValue` of a node (what `JSONParser` gives for the same text).
    public func value(at node: Int) -> JSONValue {
        let n = nodes[node]
        switch n.kind {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .number: return .number(JSONNumber(text: text(node)))
        case .plainString, .escapedString: return .string(string(node))
        case .array: return .array(children(node).map { value(at: $0) })
        case .object:
            return .object(JSONObject(members(node).map { (string($0.key), value(at: $0.value)) }))
        }
    }

    private func text(_ node: Int) -> String {
        let n = nodes[node]
        return String(decoding: bytes[Int(n.start)..<Int(n.start + n.length)], as: UTF8.self)
    }

    // MARK: Writing

    /// Writes a node as `JSONWriter.canonical` writes its value: keys sorted at every level (JavaScript string
    /// order), no white space, numbers as JavaScript writes them.
    func writeCanonical(_ node: Int, into sink: inout some ByteSink) {
        let n = nodes[node]
        switch n.kind {
        case .null: sink.append("null")
        case .false: sink.append("false")
        case .true: sink.append("true")
        case .number:
            if let plain = plainIntegerText(node) {
                sink.append(bytes: plain)
            } else {
                sink.append(JSONNumber(text: text(node)).javaScriptText)
            }
        case .plainString: sink.appendQuoted(bytes, Int(n.start)..<Int(n.start + n.length))
        case .escapedString: sink.appendString(string(node))
        case .array:
            sink.append(byte: UInt8(ascii: "["))
            var first = true
            for child in children(node) {
                if !first { sink.append(byte: UInt8(ascii: ",")) }
                first = false
                writeCanonical(child, into: &sink)
            }
            sink.append(byte: UInt8(ascii: "]"))
        case .object:
            var members = self.members(node)
            members.sort { stringLess($0.key, $1.key) }
            sink.append(byte: UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if offset > 0 { sink.append(byte: UInt8(ascii: ",")) }
                writeCanonical(member.key, into: &sink)
                sink.append(byte: UInt8(ascii: ":"))
                writeCanonical(member.value, into: &sink)
            }
            sink.append(byte: UInt8(ascii: "}"))
        }
    }

    /// A number's bytes when JavaScript writes it exactly as written: an integer of at most 15 digits, not `-0`.
    private func plainIntegerText(_ node: Int) -> ArraySlice<UInt8>? {
        let n = nodes[node]
        let slice = bytes[Int(n.start)..<Int(n.start + n.length)]
        let digits = slice.first == UInt8(ascii: "-") ? slice.dropFirst() : slice
        guard digits.count <= 15, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if slice.first == UInt8(ascii: "-") && digits.first == UInt8(ascii: "0") { return nil }
        return slice
    }

    /// SHA-256 (hex) of the canonical encoding of a node, written through the hash without holding it whole.
    public func canonicalSHA256(of node: Int = root) -> String {
        var sink = HashingSink()
        writeCanonical(node, into: &sink)
        return sink.finish()
    }

    /// The canonical encoding of a node (`JSONWriter.canonical`).
    public func canonicalBytes(of node: Int = root) -> [UInt8] {
        var sink = ArraySink()
        writeCanonical(node, into: &sink)
        return sink.output
    }

    /// A compact copy of a node in its own key order: its slice of the text (sharing the text's storage) when the
    /// text has no white space and no repeated key, otherwise rewritten.
    public func compactBytes(of node: Int = root) -> ArraySlice<UInt8> {
        let n = nodes[node]
        guard hasWhitespace || hasRepeatedKeys(node) else {
            let isString = n.kind == .plainString || n.kind == .escapedString
            let start = Int(n.start) - (isString ? 1 : 0)
            return bytes[start..<Int(n.start + n.length) + (isString ? 1 : 0)]
        }
        return JSONWriter().bytes(value(at: node))[...]
    }

    private func hasRepeatedKeys(_ node: Int) -> Bool {
        var stack = [node]
        while let current = stack.popLast() {
            let n = nodes[current]
            guard n.kind == .object || n.kind == .array else { continue }
            var count = 0
            var children = self.children(current)
            while let child = children.next() {
                count += 1
                let kind = nodes[child].kind
                if kind == .object || kind == .array { stack.append(child) }
            }
            if n.kind == .object && members(current).count * 2 != count { return true }
        }
        return false
    }
}

// MARK: - Sinks

/// Where `JSONTape` writes bytes.
protocol ByteSink {
    mutating func append(bytes: some Collection<UInt8>)
    mutating func append(byte: UInt8)
}

extension ByteSink {
    mutating func append(_ text: String) { append(bytes: Array(text.utf8)) }

    /// A plain string's bytes between quotes: valid UTF-8 without quote, backslash or control character, so
    /// `JSON.stringify` writes them unchanged.
    mutating func appendQuoted(_ bytes: [UInt8], _ range: Range<Int>) {
        append(byte: UInt8(ascii: "\""))
        append(bytes: bytes[range])
        append(byte: UInt8(ascii: "\""))
    }

    mutating func appendString(_ string: String) {
        var escaped: [UInt8] = []
        JSONWriter.writeString(string, into: &escaped)
        append(bytes: escaped)
    }
}

struct ArraySink: ByteSink {
    var output: [UInt8] = []
    mutating func append(bytes: some Collection<UInt8>) { output.append(contentsOf: bytes) }
    mutating func append(byte: UInt8) { output.append(byte) }
}

/// Feeds SHA-256 through a 64 KiB buffer.
struct HashingSink: ByteSink {
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func append(bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= (1 << 16) - 4096 { flush() }
    }

    mutating func append(byte: UInt8) {
        buffer.append(byte)
        if buffer.count >= (1 << 16) - 4096 { flush() }
    }

    private mutating func flush() {
        buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func finish() -> String {
        flush()
        return hasher.finalize().hexString
    }
}
