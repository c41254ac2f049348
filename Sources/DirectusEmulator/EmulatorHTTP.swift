import DirectusSchema

/// An HTTP request as the emulator sees it.
public struct EmulatorRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
    /// Query parameters, percent-decoded, in order.
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts[0])
        self.query = parts.count > 1 ? Self.parseQuery(String(parts[1])) : []
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// Every value of a repeated parameter, in order.
    public func queryValues(_ name: String) -> [String] {
        query.filter { $0.name == name }.map(\.value)
    }

    public func hasQuery(_ name: String) -> Bool {
        query.contains { $0.name == name }
    }

    /// The media type of the body, lower-cased, without parameters.
    var mediaType: String? {
        header("content-type")?.split(separator: ";").first.map { $0.trimmed(" ").lowercased() }
    }

    static func parseQuery(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(String(parts[0]))
            let value = parts.count > 1 ? percentDecode(String(parts[1])) : ""
            return (name, value)
        }
    }

    static func percentDecode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What the emulator answers, and how the transport should deliver it.
public struct EmulatorResponse: Sendable {
    public enum Delivery: Sendable, Equatable {
        case normal
        /// Close the connection without answering.
        case drop
        /// Send the head with the full length, then half the body, then close.
        case truncate
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var delivery: Delivery = .normal
    /// Wait this long before answering.
    public var delay: Duration?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(
        _ value: JSONValue, status: Int = 200, contentType: String = "application/json; charset=utf-8"
    )
        -> Self
    {
        Self(status: status, headers: [("Content-Type", contentType)], body: JSONWriter().bytes(value))
    }

    static func data(_ value: JSONValue) -> Self { json(["data": value]) }

    static let noContent = Self(status: 204)

    static func error(_ error: DirectusErrorResponse) -> Self {
        json(error.body, status: error.status)
    }
}

extension StringProtocol {
    /// The text without `character` at either end.
    func trimmed(_ character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
