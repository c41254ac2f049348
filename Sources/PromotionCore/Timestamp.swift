import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Timestamps for logs and reports, written without Foundation's date formatters: those load ICU's locale data,
/// several megabytes of a long-running daemon's memory, to write a fixed format.
public enum Timestamp {
    /// RFC 3339 in UTC, whole seconds: `2026-11-27T07:23:19Z` (what `ISO8601DateFormatter` writes by default).
    public static func utc(_ date: Date) -> String {
        var seconds = Self.clamped(date)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(four(Int(parts.tm_year) + 1900))-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
            + "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// The local time of day: `07:23:19`.
    public static func localTime(_ date: Date) -> String {
        var seconds = Self.clamped(date)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    /// The date in whole seconds, within years 1 to 9999 (a date read from a damaged row may be anything).
    static func clamped(_ date: Date) -> time_t {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite else { return 0 }
        return time_t(Swift.max(-62_135_596_800, Swift.min(253_402_300_799, seconds)))
    }

    private static func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func four(_ value: Int) -> String {
        let text = "\(value)"
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
