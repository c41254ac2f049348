import DirectusSchema
import Foundation

/// When promotions may be applied to an environment: days of the week and hours in a time zone (like Argo CD's
/// sync windows). Outside every window, an approved promotion waits.
public struct PromotionWindow: Sendable, Equatable {
    /// ISO weekdays: 1 Monday … 7 Sunday.
    public var days: Set<Int>
    /// Minutes after midnight, local time; `end` may be before `start` for a window across midnight.
    public var start: Int
    public var end: Int
    public var timeZone: TimeZone

    public init(days: Set<Int>, start: Int, end: Int, timeZone: TimeZone) {
        self.days = days
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }

    func calendar() -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// Whether `date` falls inside the window. A window across midnight belongs to the day it starts on.
    public func contains(_ date: Date) -> Bool {
        let calendar = calendar()
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1  // Calendar: 1 = Sunday → ISO: 7 = Sunday
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if start <= end {
            return days.contains(weekday) && minute >= start && minute < end
        }
        let yesterday = (weekday + 5) % 7 + 1
        return (days.contains(weekday) && minute >= start) || (days.contains(yesterday) && minute < end)
    }

    /// The next moment the window opens after `date` (within two weeks), for messages.
    public func nextOpening(after date: Date) -> Date? {
        let calendar = calendar()
        var probe = calendar.date(bySetting: .second, value: 0, of: date) ?? date
        for _ in 0..<(14 * 24 * 4) {
            probe = probe.addingTimeInterval(15 * 60)
            if contains(probe) {
                // Step back to the exact opening minute.
                var exact = probe
                while contains(exact.addingTimeInterval(-60)) { exact = exact.addingTimeInterval(-60) }
                return exact
            }
        }
        return nil
    }

    public static func isOpen(_ windows: [PromotionWindow], at date: Date) -> Bool {
        windows.isEmpty || windows.contains { $0.contains(date) }
    }

    public static func nextOpening(_ windows: [PromotionWindow], after date: Date) -> Date? {
        windows.compactMap { $0.nextOpening(after: date) }.min()
    }
}
