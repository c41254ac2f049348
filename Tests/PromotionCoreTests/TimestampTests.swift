import Foundation
import PromotionCore
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "UTC timestamps are what ISO8601DateFormatter writes",
        arguments: [0, 1_800_000_000.75, 951_782_400, 4_102_444_799, -86_401, 1_709_164_800])
    func utc(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(Timestamp.utc(date) == ISO8601DateFormatter().string(from: date))
    }

    @Test("local time of day: two digits each")
    func localTime() {
        let text = Timestamp.localTime(Date())
        #expect(text.count == 8)
        #expect(text.split(separator: ":").map(\.count) == [2, 2, 2])
    }
}
