/// The size rules for uploads to `/schema/diff` and `/schema/apply` (SPEC-12 section 6).
///
/// - A JSON body (`application/json`) goes through express.json: more than `MAX_PAYLOAD_SIZE` (default `1mb`) is
///   400 `Invalid payload. request entity too large.`.
/// - A multipart file, from 12.2: `IMPORT_MAX_FILE_SIZE` bytes (default `50mb`) **or more** is 413
///   `CONTENT_TOO_LARGE` (busboy signals the limit when the file reaches it). Before 12.2 there is no cap.
public struct UploadLimits: Sendable, Equatable {
    /// `MAX_PAYLOAD_SIZE` in bytes.
    public var maxPayloadSize: Int
    /// `IMPORT_MAX_FILE_SIZE` in bytes.
    public var importMaxFileSize: Int

    public static let defaultMaxPayloadSize = 1_048_576
    public static let defaultImportMaxFileSize = 52_428_800

    public init(maxPayloadSize: Int = defaultMaxPayloadSize, importMaxFileSize: Int = defaultImportMaxFileSize) {
        self.maxPayloadSize = maxPayloadSize
        self.importMaxFileSize = importMaxFileSize
    }

    /// The limits a server's environment sets (`MAX_PAYLOAD_SIZE`, `IMPORT_MAX_FILE_SIZE`: a number of bytes or a
    /// size such as `10mb`); unset or unreadable values keep the defaults.
    public init(environment: [String: JSONValue]) {
        self.init()
        if let value = environment["MAX_PAYLOAD_SIZE"].flatMap(Self.bytes) { maxPayloadSize = value }
        if let value = environment["IMPORT_MAX_FILE_SIZE"].flatMap(Self.bytes) { importMaxFileSize = value }
    }

    /// How the body arrives.
    public enum Transport: String, Sendable {
        case json
        case multipart
    }

    /// What the server does with an upload of `bytes` bytes.
    public enum Outcome: Sendable, Equatable {
        /// It is read and handled as usual.
        case read
        /// 400 `INVALID_PAYLOAD`, reason `request entity too large`.
        case payloadTooLarge
        /// 413 `CONTENT_TOO_LARGE`, `Uploaded content is too large.`.
        case contentTooLarge
    }

    public func outcome(transport: Transport, bytes: Int, version: DirectusVersion) -> Outcome {
        switch transport {
        case .json: bytes > maxPayloadSize ? .payloadTooLarge : .read
        case .multipart: version.capsMultipartUploads && bytes >= importMaxFileSize ? .contentTooLarge : .read
        }
    }

    /// The `bytes` package's `parse`: a number is a count of bytes; `<number><unit>` with `b`, `kb`, `mb`, `gb`,
    /// `tb` or `pb` (powers of 1024, case-insensitive, spaces allowed before the unit) is rounded down; other text
    /// is read as an integer prefix. `nil` when nothing is a size, or it does not fit.
    public static func bytes(_ value: JSONValue) -> Int? {
        switch value {
        case .number(let number):
            let double = number.doubleValue
            guard double.isFinite, double >= 0, double < 9.0e15 else { return nil }
            return Int(double)
        case .string(let text): return bytes(text)
        default: return nil
        }
    }

    public static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        let units: [(String, Double)] = [
            ("kb", 1024), ("mb", 1_048_576), ("gb", 1_073_741_824), ("tb", 1_099_511_627_776),
            ("pb", 1_125_899_906_842_624), ("b", 1),
        ]
        let lower = trimmed.lowercased()
        for (unit, factor) in units where lower.hasSuffix(unit) {
            let number = lower.dropLast(unit.count).trimmingWhitespace()
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                let value = Double(number)
            else { return nil }
            let product = (value * factor).rounded(.down)
            guard product.isFinite, product < 9.0e15 else { return nil }
            return Int(product)
        }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 15 else { return nil }
        return Int(digits)
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
