import Foundation

/// `../shared` beside the checkout (read-only): the corpus and Directus's conformance answers.
/// `$DIRECTUS_PROMOTER_SHARED` overrides the location.
public enum Shared {
    public static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["DIRECTUS_PROMOTER_SHARED"] {
            return URL(fileURLWithPath: override)
        }
        // Tests/TestSupport/Shared.swift → the repository → ../shared
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static var corpus: URL { root.appendingPathComponent("corpus") }
    public static var conformance: URL { root.appendingPathComponent("conformance") }
    public static var fixtures: URL { root.appendingPathComponent("directus/fixtures") }
}
