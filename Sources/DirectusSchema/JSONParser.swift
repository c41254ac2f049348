/// A strict, fast JSON parser (RFC 8259) into `JSONValue`, keeping key order and number text.
///
/// A repeated key keeps its first position and takes the last value, as `JSON.parse` does.
public struct JSONParser {
    /// A syntax error with its position (1-based line and column).
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public let line: Int
        public let column: Int
        public var description: String { "\(message) at line \(line), column \(column)" }

        /// An error at `offset` in `bytes`, with its line and column (columns count characters, not bytes).
        init(message: String, bytes: [UInt8], offset: Int) {
            let position = min(offset, bytes.count)
            var line = 1
            var lineStart = 0
            for i in 0..<position where bytes[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            let column = bytes[lineStart..<position].reduce(1) { count, byte in
                (byte & 0xC0) == 0x80 ? count : count + 1
            }
            self.init(message: message, offset: position, line: line, column: column)
        }

        init(message: String, offset: Int, line: Int, column: Int) {
            self.message = message
            self.offset = offset
            self.line = line
            self.column = column
        }
    }

    /// Deeper nesting than this is rejected instead of exhausting the stack.
    public static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    /// Strings of 16 to 64 bytes seen so far, by a hash of their bytes: a snapshot repeats the same keys and names
    /// thousands of times, and a repeated one shares the first one's storage instead of allocating its own.
    /// (Shorter strings are stored inline by Swift and never allocate.)
    private var interned: [String?] = Array(repeating: nil, count: JSONParser.internSlots)
    private static let internSlots = 4096

    /// Parses one JSON document; surrounding white space is allowed, anything else after it is an error.
    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.error("Unexpected data after the JSON value")
        }
        return value
    }

    public static func parse(_ text: String) throws(SyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: Values

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("Unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("Unexpected character \(describe(bytes[index])), expected a value")
        }
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONValue {
        try enter()
        index += 1
        var entries: [JSONObject.Element] = []
        var hasIndexKey = false
        // Duplicate keys are rare: small objects look for one by scanning, large ones keep a set.
        var seen: Set<String>?
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(JSONObject())
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("Expected a string key in object") }
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("Expected ':' after object key") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            if entries.count == 16 { seen = Set(entries.map(\.key)) }
            let isNew: Bool
            if seen != nil {
                isNew = seen!.insert(key).inserted
            } else {
                isNew = !entries.contains { $0.key == key }
            }
            if isNew {
                if !hasIndexKey, JSONObject.arrayIndexValue(key) != nil { hasIndexKey = true }
                entries.append((key, value))
            } else if let position = entries.firstIndex(where: { $0.key == key }) {
                entries[position].value = value
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(hasIndexKey ? JSONObject(distinctEntries: entries) : JSONObject(ordered: entries))
            default: throw error("Expected ',' or '}' in object")
            }
        }
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        try enter()
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(array)
            default: throw error("Expected ',' or ']' in array")
            }
        }
    }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("Nesting deeper than \(Self.maximumDepth) levels") }
    }

    // MARK: Strings

    private mutating func parseString() throws(SyntaxError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        var hash: UInt32 = 2_166_136_261
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let string = intern(start, index, hash: hash)
                index += 1
                return string
            }
            hash = (hash ^ UInt32(byte)) &* 16_777_619
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("Unescaped control character in string") }
            index += 1
        }
        var scalars = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return decodeUTF8(scalars)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800...0xDBFF).contains(code), index + 1 < bytes.count, bytes[index] == 0x5C,
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        let save = index
                        index += 2
                        let low = try parseHex4()
                        if (0xDC00...0xDFFF).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                        }
                    }
                    // A lone surrogate cannot live in a Swift string; it becomes U+FFFD.
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    index -= 1
                    throw error("Invalid escape sequence")
                }
            default:
                if byte < 0x20 { throw error("Unescaped control character in string") }
                scalars.append(byte)
                index += 1
            }
        }
        throw error("Unterminated string")
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("Truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw error("Invalid hex digit in \\u escape")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    /// The string of `bytes[start..<end]` (no escapes), shared with an earlier equal one when there is one.
    private mutating func intern(_ start: Int, _ end: Int, hash: UInt32) -> String {
        let length = end - start
        guard length >= 16 && length <= 64 else { return decodeUTF8(start, end) }
        let slot = Int(hash % UInt32(Self.internSlots))
        if let candidate = interned[slot], candidate.utf8.count == length {
            let same = bytes.withUnsafeBufferPointer { buffer in
                candidate.utf8.withContiguousStorageIfAvailable { stored in
                    stored.elementsEqual(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                }
            }
            if same == true { return candidate }
        }
        let string = decodeUTF8(start, end)
        interned[slot] = string
        return string
    }

    private func decodeUTF8(_ start: Int, _ end: Int) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
    }

    private func decodeUTF8(_ data: [UInt8]) -> String {
        String(decoding: data, as: UTF8.self)
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(SyntaxError) -> JSONNumber {
        let start = index
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        guard let first = peek(), isDigit(first) else { throw error("Invalid number") }
        var integer: Int64 = 0
        if first == UInt8(ascii: "0") {
            index += 1
            if let next = peek(), isDigit(next) { throw error("Leading zeros are not allowed in numbers") }
        } else {
            while let byte = peek(), isDigit(byte) {
                integer = integer &* 10 &+ Int64(byte - 0x30)
                index += 1
            }
        }
        // Integers of up to 15 digits are exact doubles: no need for the general conversion.
        let digits = index - start - (negative ? 1 : 0)
        if digits <= 15, let byte = peek(), byte != UInt8(ascii: "."), byte != UInt8(ascii: "e"),
            byte != UInt8(ascii: "E")
        {
            return JSONNumber(text: decodeUTF8(start, index), exactly: negative ? -Double(integer) : Double(integer))
        }
        try Self.scanFractionAndExponent(bytes, at: &index)
        return JSONNumber(text: decodeUTF8(start, index))
    }

    /// Scans the fraction and exponent a number may have after its integer part (RFC 8259), from `index`.
    static func scanFractionAndExponent(_ bytes: [UInt8], at index: inout Int) throws(SyntaxError) {
        func digit(_ offset: Int) -> Bool { offset < bytes.count && bytes[offset] >= 0x30 && bytes[offset] <= 0x39 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digit(index) else {
                throw SyntaxError(message: "Expected digits after decimal point", bytes: bytes, offset: index)
            }
            while digit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digit(index) else {
                throw SyntaxError(message: "Expected digits in exponent", bytes: bytes, offset: index)
            }
            while digit(index) { index += 1 }
        }
    }

    // MARK: Helpers

    private mutating func expectLiteral(_ literal: StaticString) throws(SyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("Unexpected end of input") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw error("Unexpected character \(describe(bytes[index])), expected a value") }
        index += count
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private func error(_ message: String) -> SyntaxError {
        SyntaxError(message: message, bytes: bytes, offset: index)
    }
}
