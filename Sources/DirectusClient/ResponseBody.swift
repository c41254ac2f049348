/// Collects a response body under a hard byte limit without ever holding much more than the limit.
///
/// A body with a `Content-Length` within the limit goes straight into one buffer of that size. Any other body is
/// copied into blocks of at most `blockSize` bytes (never kept as the transport's own buffers, which may hold more
/// than they show) and joined once at the end. Reading stops the moment the limit would be passed: an endless
/// body costs at most the limit plus one block. Bytes are moved with `copyMemory`, so a debug build reads as fast
/// as a release one.
struct ResponseBody {
    static let blockSize = 1 << 20

    let limit: Int
    /// Filled buffers, and how much of the last one is used.
    private var blocks: [[UInt8]] = []
    private var filled = 0
    private(set) var count = 0

    struct TooLarge: Error {}

    init(limit: Int, announced: Int?) {
        self.limit = limit
        if let size = announced, size > 0, size <= limit {
            blocks = [[UInt8](repeating: 0, count: size)]
        }
    }

    /// Adds the next chunk; throws `TooLarge` when the body would pass the limit.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws(TooLarge) {
        guard bytes.count <= limit - count else { throw TooLarge() }
        count += bytes.count
        var offset = 0
        while offset < bytes.count {
            if blocks.isEmpty || filled == blocks[blocks.count - 1].count {
                // Blocks grow with the body (4 KiB, then about the size so far), up to a mebibyte each.
                let size = min(Self.blockSize, max(bytes.count - offset, count, 4096))
                blocks.append([UInt8](repeating: 0, count: size))
                filled = 0
            }
            let last = blocks.count - 1
            let piece = min(blocks[last].count - filled, bytes.count - offset)
            let start = filled
            blocks[last].withUnsafeMutableBytes { target in
                guard let destination = target.baseAddress, let source = bytes.baseAddress else { return }
                (destination + start).copyMemory(from: source + offset, byteCount: piece)
            }
            filled += piece
            offset += piece
        }
    }

    /// The whole body as one array.
    mutating func finish() -> [UInt8] {
        guard !blocks.isEmpty else { return [] }
        if blocks.count == 1 {
            var only = blocks.removeFirst()
            if filled < only.count { only.removeLast(only.count - filled) }
            return only
        }
        let total = count
        let parts = blocks
        let lastFilled = filled
        blocks = []
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            var position = 0
            for (index, part) in parts.enumerated() {
                let used = index == parts.count - 1 ? lastFilled : part.count
                part.withUnsafeBytes { source in
                    guard let destination = buffer.baseAddress, let from = source.baseAddress else { return }
                    UnsafeMutableRawPointer(destination + position).copyMemory(from: from, byteCount: used)
                }
                position += used
            }
            initialized = position
        }
    }
}
