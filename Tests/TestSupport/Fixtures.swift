import DirectusSchema

/// Snapshots several test targets use.
public enum Fixtures {
    /// Directus's own `fields/change` e2e snapshot (an 11.10 postgres export, city/state/country), labelled as an
    /// 11.17.4 postgres instance so that uploads to an emulator of that version need no force.
    public static let fieldsChange: Snapshot = {
        let url = Shared.fixtures.appendingPathComponent("tests__e2e__tests__fields__change__snapshot.json")
        var snapshot =
            (try? SnapshotLoader.load(contentsOfFile: url.path).snapshot)
            ?? Snapshot(directus: "11.17.4", vendor: "postgres")
        snapshot.root["directus"] = "11.17.4"
        snapshot.root["vendor"] = "postgres"
        return snapshot
    }()
}
