import DirectusSchema
import Foundation
import PromotionCore
import PromotionStore

/// "12 s ago", "5 min ago", "3 h ago", "2 days ago".
public enum RelativeTime {
    public static func describe(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date).rounded())
        if seconds < 0 { return "in \(describeSpan(-seconds))" }
        if seconds < 2 { return "just now" }
        return "\(describeSpan(seconds)) ago"
    }

    public static func describeSpan(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3600: "\(seconds / 60) min"
        case ..<86_400: "\(seconds / 3600) h"
        default: "\(seconds / 86_400) day\(seconds / 86_400 == 1 ? "" : "s")"
        }
    }
}
