/// A minimal `multipart/form-data` reader: enough to find the file parts of an upload, as busboy does.
struct MultipartForm {
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var body: [UInt8]
    }

    var parts: [Part]

    /// Splits `body` by the boundary of `contentType`; `nil` when the header has no boundary or the body is
    /// not multipart.
    init?(contentType: String, body: [UInt8]) {
        guard
            let boundaryParameter = contentType.split(separator: ";").map({ $0.trimmed(" ") })
                .first(where: { $0.lowercased().hasPrefix("boundary=") })
        else { return nil }
        let boundary = String(boundaryParameter.dropFirst("boundary=".count)).trimmed("\"")
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        var ranges: [Range<Int>] = []
        var position = 0
        var starts: [Int] = []
        while let found = Self.find(delimiter, in: body, from: position) {
            starts.append(found)
            position = found + delimiter.count
        }
        guard starts.count >= 2 else { return nil }
        for (index, start) in starts.dropLast().enumerated() {
            var partStart = start + delimiter.count
            // Skip the line break after the delimiter.
            if partStart + 1 < body.count, body[partStart] == 0x0D, body[partStart + 1] == 0x0A { partStart += 2 }
            var partEnd = starts[index + 1]
            // Drop the line break before the next delimiter.
            if partEnd >= 2, body[partEnd - 2] == 0x0D, body[partEnd - 1] == 0x0A { partEnd -= 2 }
            if partStart <= partEnd { ranges.append(partStart..<partEnd) }
        }
        for range in ranges {
            let slice = Array(body[range])
            guard let headerEnd = Self.find(Array("\r\n\r\n".utf8), in: slice, from: 0) else { continue }
            let headerText = String(decoding: slice[..<headerEnd], as: UTF8.self)
            var part = Part(name: nil, filename: nil, contentType: nil, body: Array(slice[(headerEnd + 4)...]))
            for line in headerText.split(separator: "\r\n") {
                let pieces = line.split(separator: ":", maxSplits: 1)
                guard pieces.count == 2 else { continue }
                let name = pieces[0].lowercased()
                let value = pieces[1].trimmed(" ")
                if name == "content-type" {
                    part.contentType = value
                } else if name == "content-disposition" {
                    for parameter in value.split(separator: ";").map({ $0.trimmed(" ") }) {
                        if parameter.hasPrefix("name=") {
                            part.name = String(parameter.dropFirst(5)).trimmed("\"")
                        } else if parameter.hasPrefix("filename=") {
                            part.filename = String(parameter.dropFirst(9)).trimmed("\"")
                        }
                    }
                }
            }
            parts.append(part)
        }
        self.parts = parts
    }

    /// Parts that carry a file (busboy's `file` events).
    var files: [Part] { parts.filter { $0.filename != nil } }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else {
            return nil
        }
        let first = needle[0]
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }
}
