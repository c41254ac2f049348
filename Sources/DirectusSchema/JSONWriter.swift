/// Writes `JSONValue`s as JSON text.
public struct JSONWriter: Sendable {
    /// How numbers are written.
    public enum NumberStyle: Sendable {
        /// As they were written in the source.
        case preserved
        /// As JavaScript's `JSON.stringify` writes them (`1.0` → `1`, `1e21` → `1e+21`).
        case javaScript
    }

    /// How objects are laid out.
    public enum Layout: Sendable, Equatable {
        /// No white space, like `JSON.stringify(value)`.
        case compact
        /// One member per line, indented by this string, like `JSON.stringify(value, null, indent)`.
        case indented(String)
    }

    public var layout: Layout
    public var numberStyle: NumberStyle
    /// Sort object keys (JavaScript string order) at every level.
    public var sortKeys: Bool

    public init(layout: Layout = .compact, numberStyle: NumberStyle = .preserved, sortKeys: Bool = false) {
        self.layout = layout
        self.numberStyle = numberStyle
        self.sortKeys = sortKeys
    }

    /// The canonical form: sorted keys, no white space, JavaScript numbers.
    public static let canonical = JSONWriter(layout: .compact, numberStyle: .javaScript, sortKeys: true)

    public func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    public func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        write(value, into: &output, level: 0)
        return output
    }

    private func write(_ value: JSONValue, into output: inout [UInt8], level: Int) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let bool): output.append(contentsOf: (bool ? "true" : "false").utf8)
        case .number(let number):
            let text = numberStyle == .preserved ? number.text : number.javaScriptText
            output.append(contentsOf: text.utf8)
        case .string(let string): Self.writeString(string, into: &output)
        case .array(let array):
            if array.isEmpty {
                output.append(contentsOf: "[]".utf8)
                return
            }
            output.append(UInt8(ascii: "["))
            for (offset, element) in array.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                newline(into: &output, level: level + 1)
                write(element, into: &output, level: level + 1)
            }
            newline(into: &output, level: level)
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty {
                output.append(contentsOf: "{}".utf8)
                return
            }
            output.append(UInt8(ascii: "{"))
            let entries: [JSONObject.Element] =
                sortKeys ? object.sorted { jsStringLess($0.key, $1.key) } : Array(object)
            for (offset, entry) in entries.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                newline(into: &output, level: level + 1)
                Self.writeString(entry.key, into: &output)
                output.append(UInt8(ascii: ":"))
                if case .indented = layout { output.append(UInt8(ascii: " ")) }
                write(entry.value, into: &output, level: level + 1)
            }
            newline(into: &output, level: level)
            output.append(UInt8(ascii: "}"))
        }
    }

    private func newline(into output: inout [UInt8], level: Int) {
        guard case .indented(let indent) = layout else { return }
        output.append(0x0A)
        for _ in 0..<level { output.append(contentsOf: indent.utf8) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Escapes as `JSON.stringify` does: quote, backslash and control characters; everything else verbatim.
    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var string = string
        let clean = string.withUTF8 { buffer -> Bool in
            for byte in buffer where byte < 0x20 || byte == 0x22 || byte == 0x5C { return false }
            output.append(contentsOf: buffer)
            return true
        }
        if clean {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case 0x22: output.append(contentsOf: [0x5C, 0x22])
            case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
            case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// Compact JSON text, numbers as written.
    public var jsonString: String { JSONWriter().string(self) }
}
