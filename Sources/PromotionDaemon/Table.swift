import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// Aligned columns for people.
public struct Table {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    public func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Self.visibleWidth(cell))
            }
        }
        func line(_ cells: [String]) -> String {
            var text = "  "
            for (index, cell) in cells.enumerated() {
                let pad = index == cells.count - 1 ? 0 : widths[index] - Self.visibleWidth(cell) + 2
                text += cell + String(repeating: " ", count: max(0, pad))
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text + "\n"
        }
        return line(header) + rows.map(line).joined()
    }

    /// The width without ANSI colour codes.
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }
}
