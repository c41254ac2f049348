#if canImport(CMalloc)
import CMalloc
#endif

/// Hands memory freed after a large schema was parsed back to the system, so that an idle daemon's resident size
/// does not stay at its peak (glibc keeps freed heap pages otherwise).
enum MemoryRelease {
    static func returnFreedMemory() {
        #if canImport(CMalloc)
        _ = malloc_trim(0)
        #endif
    }
}
