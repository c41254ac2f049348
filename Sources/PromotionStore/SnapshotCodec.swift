import CZstd
import Foundation

/// Compresses stored snapshots and diffs with Zstandard.
///
/// Why zstd: schema snapshots are repetitive JSON (the same meta keys on every field), which zstd compresses about
/// as well as xz at many times its speed, and far better than gzip at the same speed; it is Debian's libzstd, and
/// its prefix mode lets a snapshot be stored as a delta against the previous one (`compress(_:against:)`), which
/// is what keeps long histories small.
public enum SnapshotCodec {
    /// The codec name stored beside each blob.
    public static let name = "zstd"
    /// Snapshots since the dictionary: zstd frames without the magic number, compressed against the built-in
    /// dictionary of what Directus snapshots repeat (`SnapshotDictionary`), followed by the base of a delta. A
    /// blob keeps the codec it was written with, so the dictionary is versioned by this name: another dictionary
    /// would be another name, and blobs of the old one stay readable as long as it is built in.
    public static let dictionaryName = "zstd-d1"

    /// The dictionary, decoded once when a snapshot is first stored or read.
    static let dictionary: [UInt8] = Array(
        Data(base64Encoded: SnapshotDictionary.base64, options: .ignoreUnknownCharacters) ?? Data())

    /// Level 22 below 256 KB (a real project's snapshot, or a delta of one: milliseconds at any level), 19 where it
    /// still costs little: whole snapshots under 8 MB (stored once every `Store.maxDeltaDepth` changes, so their
    /// size for years matters more than a few seconds of CPU once) and deltas under 1 MB; level 9 (about 10 MB/s)
    /// otherwise.
    public static func level(forSize size: Int, isDelta: Bool) -> Int32 {
        if size < 256_000 { return 22 }
        return size < (isDelta ? 1_000_000 : 8_000_000) ? 19 : 9
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Compresses `bytes`; with `base`, as a delta against it (zstd's reference prefix).
    public static func compress(_ bytes: [UInt8], against base: [UInt8]? = nil) throws(Failure) -> [UInt8] {
        try compress(bytes[...], against: base)
    }

    /// Compresses `bytes` (a slice, not copied); with `base`, as a delta against it; with `dictionary`, in the
    /// `dictionaryName` format (the built-in dictionary, then the base, as the reference prefix; no magic number).
    public static func compress(
        _ bytes: ArraySlice<UInt8>, against base: [UInt8]? = nil, dictionary: Bool = false
    ) throws(Failure) -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw Failure(description: "zstd: cannot create a context") }
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level(forSize: bytes.count, isDelta: base != nil))
        if dictionary {
            // ZSTD_c_format = ZSTD_f_zstd1_magicless: the codec column says what a blob is; 4 bytes a version.
            ZSTD_CCtx_setParameter(context, ZSTD_c_experimentalParam2, 1)
        }
        let reference: [UInt8]? = dictionary ? Self.dictionary + (base ?? []) : base
        // No per-frame checksum and no content size in the frame: the store keeps the size beside each blob and
        // verifies every snapshot it reads by its content hash, and for a delta of a few bytes these fields are a
        // good part of the frame.
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 0)
        ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0)
        if let base = reference {
            // A window long enough to reference the whole base.
            let largest = Double(max(base.count, bytes.count, 1))
            let windowLog = Int32(min(27, max(10, Int(Foundation.log2(largest)) + 1)))
            ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, windowLog)
            ZSTD_CCtx_setParameter(context, ZSTD_c_enableLongDistanceMatching, 1)
        }
        let prefix = reference ?? []
        // The bound is the input's size and more; output pages never written are never touched, so the buffer is
        // left uninitialised and costs only what the compressed data fills.
        let capacity = ZSTD_compressBound(bytes.count)
        var status = 0
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
            status = prefix.withUnsafeBytes { prefixBuffer -> Int in
                if reference != nil {
                    let status = ZSTD_CCtx_refPrefix(context, prefixBuffer.baseAddress, prefixBuffer.count)
                    if ZSTD_isError(status) != 0 { return status }
                }
                return bytes.withUnsafeBytes { input in
                    ZSTD_compress2(context, out.baseAddress, capacity, input.baseAddress, input.count)
                }
            }
            initialized = ZSTD_isError(status) != 0 ? 0 : status
        }
        if ZSTD_isError(status) != 0 {
            throw Failure(description: "zstd: \(String(cString: ZSTD_getErrorName(status)))")
        }
        // A copy the size of what was written, so that the large buffer is released.
        return [UInt8](unsafeUninitializedCapacity: status) { copy, count in
            output.withUnsafeBufferPointer { source in
                _ = copy.initialize(from: source)
            }
            count = status
        }
    }

    /// Decompresses what `compress` produced (with the same `base` for a delta, and `dictionary` as it was
    /// compressed); `size` is the original length.
    public static func decompress(
        _ bytes: [UInt8], size: Int, against base: [UInt8]? = nil, dictionary: Bool = false
    ) throws(Failure) -> [UInt8] {
        guard let context = ZSTD_createDCtx() else { throw Failure(description: "zstd: cannot create a context") }
        defer { ZSTD_freeDCtx(context) }
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 31)
        // ZSTD_d_format = ZSTD_f_zstd1_magicless.
        if dictionary { ZSTD_DCtx_setParameter(context, ZSTD_d_experimentalParam1, 1) }
        let reference: [UInt8]? = dictionary ? Self.dictionary + (base ?? []) : base
        let prefix = reference ?? []
        var output = [UInt8](repeating: 0, count: max(size, 1))
        let capacity = output.count
        let read = prefix.withUnsafeBytes { prefixBuffer -> Int in
            if reference != nil {
                let status = ZSTD_DCtx_refPrefix(context, prefixBuffer.baseAddress, prefixBuffer.count)
                if ZSTD_isError(status) != 0 { return status }
            }
            return bytes.withUnsafeBytes { input in
                output.withUnsafeMutableBytes { out in
                    ZSTD_decompressDCtx(context, out.baseAddress, capacity, input.baseAddress, input.count)
                }
            }
        }
        if ZSTD_isError(read) != 0 { throw Failure(description: "zstd: \(String(cString: ZSTD_getErrorName(read)))") }
        guard read == size else { throw Failure(description: "zstd: expected \(size) bytes, got \(read)") }
        return Array(output.prefix(read))
    }
}
