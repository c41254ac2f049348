/// Collects a response body under a hard byte limit without ever holding much more than the limit.
///
/// A body with a `Content-Length` within the limit goes straight into one array of that size. Any other body is
/// copied into blocks of at most `blockSize` bytes (never kept as the transport's own buffers, which may hold more
/// than they show) and joined once at the end. Reading stops the moment the limit would be passed: an endless
/// body costs at most the limit plus one block.
struct ResponseBody {
    static let blockSize = 1 << 20

    let limit: Int
    private var blocks: [[UInt8]] = []
    private(set) var count = 0
    private let announced: Int?

    struct TooLarge: Error {}

    init(limit: Int, announced: Int?) {
        self.limit = limit
        self.announced = announced.flatMap { $0 >= 0 && $0 <= limit ? $0 : nil }
        if let size = self.announced {
            var first: [UInt8] = []
            first.reserveCapacity(size)
            blocks = [first]
        }
    }

    /// Adds the next chunk; throws `TooLarge` when the body would pass the limit.
    mutating func append<Bytes: Collection>(_ bytes: Bytes) throws(TooLarge) where Bytes.Element == UInt8 {
        guard bytes.count <= limit - count else { throw TooLarge() }
        count += bytes.count
        if let announced, blocks.count == 1, blocks[0].count + bytes.count <= announced {
            blocks[0].append(contentsOf: bytes)
            return
        }
        var rest = bytes[...]
        while !rest.isEmpty {
            if blocks.isEmpty || blocks[blocks.count - 1].count == blocks[blocks.count - 1].capacity {
                var block: [UInt8] = []
                // Blocks grow with the body (4 KiB, then about the size so far), up to a mebibyte each.
                block.reserveCapacity(min(Self.blockSize, max(rest.count, count, 4096)))
                blocks.append(block)
            }
            let last = blocks.count - 1
            let room = blocks[last].capacity - blocks[last].count
            let piece = rest.prefix(max(room, 1))
            blocks[last].append(contentsOf: piece)
            rest = rest.dropFirst(piece.count)
        }
    }

    /// The whole body as one array.
    mutating func finish() -> [UInt8] {
        if blocks.count == 1 { return blocks.removeFirst() }
        var whole: [UInt8] = []
        whole.reserveCapacity(count)
        for index in blocks.indices {
            whole.append(contentsOf: blocks[index])
            blocks[index] = []
        }
        blocks = []
        return whole
    }
}
