import Foundation

/// Finds the built `directus-promoter` binary beside the test bundle.
enum BinaryLocator {
    static var productsDirectory: URL {
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") } ?? Bundle.main
        return bundle.bundleURL.deletingLastPathComponent()
    }

    static var executable: URL { productsDirectory.appendingPathComponent("directus-promoter") }
}
