import Foundation

extension PromotionStateMachine.Memory {
    /// The memory as stored in `promotion.machine` (JSON with sorted keys).
    public var stored: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Reads what `stored` wrote; nil when there is nothing (a promotion that has not moved yet) or it is unreadable.
    public init?(stored: String?) {
        guard let stored,
            let memory = try? JSONDecoder().decode(PromotionStateMachine.Memory.self, from: Data(stored.utf8))
        else { return nil }
        self = memory
    }
}
