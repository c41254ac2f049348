/// A JSON number that keeps the text it was written with, and compares by value as JavaScript does.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as written in the source (`255`, `1.50`, `1e3`), or as JavaScript would write a computed one.
    public let text: String
    /// The IEEE-754 double that JavaScript would hold for it.
    public let doubleValue: Double

    /// A number from its JSON text. The text must already be valid JSON number syntax.
    public init(text: String) {
        self.text = text
        self.doubleValue = Double(text) ?? .nan
    }

    /// A number whose text is known to denote `value` exactly (the parser's integers).
    init(text: String, exactly value: Double) {
        self.text = text
        self.doubleValue = value
    }

    public init(_ value: Int) {
        self.text = String(value)
        self.doubleValue = Double(value)
    }

    public init(_ value: Double) {
        self.text = JavaScriptNumberFormat.string(from: value)
        self.doubleValue = value
    }

    /// How JavaScript's `Number.prototype.toString` writes this number (`1.0` becomes `1`).
    public var javaScriptText: String { JavaScriptNumberFormat.string(from: doubleValue) }

    /// The value as an `Int` when it is a whole number in range.
    public var intValue: Int? {
        guard doubleValue.rounded() == doubleValue, abs(doubleValue) < 9.0e15 else { return nil }
        return Int(doubleValue)
    }

    public var description: String { text }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        lhs.doubleValue == rhs.doubleValue
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(doubleValue)
    }
}

/// JavaScript's `Number.prototype.toString()` for doubles (ECMAScript `Number::toString`, radix 10).
enum JavaScriptNumberFormat {
    static func string(from value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return "0" }
        if value < 0 { return "-" + string(from: -value) }
        // Swift's description yields the shortest round-tripping digits, as ECMAScript requires.
        let (digits, exponent) = decompose(value.description)
        let k = digits.count
        let n = exponent  // position of the decimal point relative to the digit string
        if k <= n && n <= 21 {
            return digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let index = digits.index(digits.startIndex, offsetBy: n)
            return digits[..<index] + "." + digits[index...]
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digits
        }
        let e = n - 1
        let sign = e < 0 ? "-" : "+"
        let mantissa = k == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
        return mantissa + "e" + sign + String(abs(e))
    }

    /// Splits Swift's shortest representation (`1.5e-07`, `123.45`, `1e+21`) into significant digits and the
    /// decimal exponent `n` such that the value is `0.digits × 10^n`.
    private static func decompose(_ text: String) -> (digits: String, exponent: Int) {
        var mantissa = Substring(text)
        var exponent = 0
        if let eIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<eIndex]
            exponent = Int(text[text.index(after: eIndex)...]) ?? 0
        }
        var integerPart = mantissa
        var fractionPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = String(integerPart) + String(fractionPart)
        var pointPosition = integerPart.count + exponent
        // Strip leading zeros (moving the point) and trailing zeros.
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 {
            digits.removeLast()
        }
        return (digits, pointPosition)
    }
}
