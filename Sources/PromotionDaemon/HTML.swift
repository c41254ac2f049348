import Foundation
import PromotionCore

/// Builds the web view's HTML: text is escaped where it is put in, so nothing from an instance, a configuration or a
/// person's comment can become markup.
struct HTML: Sendable, CustomStringConvertible {
    /// Markup, already safe.
    var markup: String

    init(raw markup: String) { self.markup = markup }

    /// Text, escaped.
    init(_ text: String) { markup = Self.escape(text) }

    var description: String { markup }

    static let empty = HTML(raw: "")

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(raw: lhs.markup + rhs.markup) }

    static func += (lhs: inout HTML, rhs: HTML) { lhs.markup += rhs.markup }

    /// `<tag attributes>content</tag>`; attribute values are escaped.
    static func tag(_ name: String, _ attributes: [(String, String)] = [], _ content: HTML = .empty) -> HTML {
        HTML(raw: "<\(name)\(attributeText(attributes))>\(content.markup)</\(name)>")
    }

    /// A tag with text content.
    static func tag(_ name: String, _ attributes: [(String, String)] = [], text: String) -> HTML {
        tag(name, attributes, HTML(text))
    }

    /// A void element (`<input …>`).
    static func void(_ name: String, _ attributes: [(String, String)]) -> HTML {
        HTML(raw: "<\(name)\(attributeText(attributes))>")
    }

    static func attributeText(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    static func join(_ parts: [HTML], separator: String = "") -> HTML {
        HTML(raw: parts.map(\.markup).joined(separator: separator))
    }

    /// A link.
    static func link(_ href: String, _ text: String, _ attributes: [(String, String)] = []) -> HTML {
        tag("a", [("href", href)] + attributes, text: text)
    }

    /// A table with a caption, column headers and rows of cells.
    static func table(caption: String, headers: [String], rows: [[HTML]], className: String = "") -> HTML {
        let head = tag("thead", [], tag("tr", [], join(headers.map { tag("th", [("scope", "col")], text: $0) })))
        let body = tag("tbody", [], join(rows.map { row in tag("tr", [], join(row.map { tag("td", [], $0) })) }))
        return tag(
            "div", [("class", "scroll")],
            tag(
                "table", className.isEmpty ? [] : [("class", className)],
                tag("caption", [], text: caption) + head + body))
    }

    /// A `<time>` with the UTC timestamp as its machine value and `text` for people.
    static func time(_ date: Date, _ text: String) -> HTML {
        tag("time", [("datetime", Timestamp.utc(date)), ("title", Timestamp.utc(date))], text: text)
    }
}

/// `application/x-www-form-urlencoded`: query strings and form bodies.
enum FormEncoding {
    /// The pairs of `a=b&c=d`, percent-decoded (`+` is a space); invalid escapes are kept as they are.
    static func decode(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&").prefix(100).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(parts[0]), parts.count > 1 ? percentDecode(parts[1]) : "")
        }
    }

    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next() {
                if let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                } else {
                    bytes += [byte, high, low]
                }
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `value` for a query string.
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
