import Crypto

/// Directus's schema hash: `objectHash({ item: snapshot, version })` (object-hash 3.0.0, SHA-1, hex).
///
/// The value is serialised the way object-hash serialises parsed JSON, and the UTF-8 bytes of that text are
/// hashed. Keys sort by UTF-16 code units; strings count their length in UTF-16 code units; numbers are
/// written as JavaScript writes them. Every object carries the block object-hash emits for the three
/// inherited properties it visits (`prototype`, `__proto__`, `constructor`); the first object serialised
/// gets a longer block than the rest.
public enum DirectusHash {
    /// The hash Directus puts in a diff response, computed from the receiving instance's current snapshot.
    /// `version` defaults to the snapshot's own `directus` value, which equals the server's version.
    public static func versionedHash(of snapshot: Snapshot, version: String? = nil) -> String {
        var serializer = Serializer()
        serializer.write("object:5:")
        serializer.write(firstObjectBlock)
        serializer.writeKey("item")
        serializer.serialize(snapshot.json)
        serializer.write(",")
        serializer.writeKey("version")
        if let version = version ?? snapshot.directus {
            serializer.serialize(.string(version))
        } else if let label = snapshot.root["directus"] {
            serializer.serialize(label)
        } else {
            serializer.write("Undefined")
        }
        serializer.write(",")
        return serializer.finish()
    }

    static let firstObjectBlock =
        "string:9:prototype:Undefined,string:9:__proto__:object:3:string:9:prototype:Undefined,"
        + "string:9:__proto__:Null,string:11:constructor:fn:string:8:[native]string:20:function-name:Objectobject:0:,,"
        + "string:11:constructor:fn:string:8:[native]string:20:function-name:Objectstring:12:[CIRCULAR:2],"

    static let laterObjectBlock =
        "string:9:prototype:Undefined,string:9:__proto__:string:12:[CIRCULAR:1],"
        + "string:11:constructor:fn:string:8:[native]string:20:function-name:Objectstring:12:[CIRCULAR:2],"

    /// Streams the serialisation into SHA-1 in chunks.
    struct Serializer {
        private var hasher = Insecure.SHA1()
        private var buffer: [UInt8] = []

        init() {
            buffer.reserveCapacity(1 << 16)
        }

        mutating func write(_ text: String) {
            buffer.append(contentsOf: text.utf8)
            if buffer.count >= 1 << 16 { flush() }
        }

        private mutating func flush() {
            hasher.update(data: buffer)
            buffer.removeAll(keepingCapacity: true)
        }

        mutating func writeKey(_ key: String) {
            writeString(key)
            write(":")
        }

        mutating func writeString(_ string: String) {
            write("string:")
            write(String(string.utf16.count))
            write(":")
            write(string)
        }

        mutating func writeObject(_ object: JSONObject, first: Bool) {
            write("object:")
            write(String(object.count + 3))
            write(":")
            write(first ? firstObjectBlock : laterObjectBlock)
            for (key, value) in object.sorted(by: { jsStringLess($0.key, $1.key) }) {
                writeKey(key)
                serialize(value)
                write(",")
            }
        }

        mutating func serialize(_ value: JSONValue) {
            switch value {
            case .null: write("Null")
            case .bool(let bool): write(bool ? "bool:true" : "bool:false")
            case .number(let number):
                write("number:")
                write(number.javaScriptText)
            case .string(let string): writeString(string)
            case .array(let array):
                write("array:")
                write(String(array.count))
                write(":")
                for element in array { serialize(element) }
            case .object(let object): writeObject(object, first: false)
            }
        }

        mutating func finish() -> String {
            flush()
            return hasher.finalize().hexString
        }
    }
}
