/// Conversions of numbers that come from outside (headers, configuration, JSON, the state database) that never
/// trap: Swift's `Int(someDouble)` stops the process on NaN, infinity or a value out of range, and every such
/// number here may be any of those.
extension Int {
    /// `value` rounded toward zero and clamped to `Int`'s range; 0 for NaN.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.2e18 {
            self = .max
        } else if value <= -9.2e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// `seconds` as a duration (to the millisecond) when it is finite, not negative and at most `limit` seconds;
    /// nil otherwise.
    public static func checkedSeconds(_ seconds: Double, atMost limit: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= limit, limit < 9.2e15 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
