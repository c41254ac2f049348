import DirectusSchema

/// Which configuration changes need a person, and why (CONFIG-SPEC section 9, "destructive or gated").
enum ConfigConcerns {
    static func of(_ change: ConfigDiff.Change) -> [ConfigDiff.Concern] {
        var concerns: [ConfigDiff.Concern] = []
        let before = change.before?.objectValue ?? JSONObject()
        let after = change.after?.objectValue ?? JSONObject()
        if change.key.contains("@admin") || change.key.contains("@public") {
            concerns.append(.builtIn("\(change.key) is the built-in admin or public access"))
        }
        switch (change.action, change.kind) {
        case (.delete, .role):
            concerns.append(.destructive("deleting a role suspends its users and deletes its presets and access"))
        case (.delete, .policy):
            concerns.append(.destructive("deleting a policy deletes its permissions and access rows"))
        case (.delete, .flow):
            concerns.append(.destructive("deleting a flow deletes its operations; its webhook URL stops answering"))
        case (.delete, .dashboard):
            concerns.append(.destructive("deleting a dashboard deletes its panels"))
        case (.delete, .access):
            concerns.append(.narrowsAccess("the role loses the policy's access"))
        case (.delete, .permission):
            concerns.append(.narrowsAccess("the permission is removed"))
        case (.delete, _):
            concerns.append(.destructive("\(change.kind.rawValue) \(change.key) is deleted"))
        case (.create, .access) where change.key.hasPrefix("access:@public"):
            concerns.append(.widensAccess("a policy is granted to the public"))
        case (.create, .permission) where change.key.contains("@public"):
            concerns.append(.widensAccess("the public gains a permission"))
        case (.create, .policy):
            if after["admin_access"] == true { concerns.append(.widensAccess("a new policy with admin access")) }
        default: break
        }
        if change.action == .update {
            concerns += updates(change, before: before, after: after)
        }
        return concerns
    }

    static func updates(
        _ change: ConfigDiff.Change, before: JSONObject, after: JSONObject
    ) -> [ConfigDiff.Concern] {
        var concerns: [ConfigDiff.Concern] = []
        switch change.kind {
        case .policy:
            for flag in ["admin_access", "app_access"] {
                let was = before[flag] == true
                let will = after[flag] == true
                if !was && will { concerns.append(.widensAccess("\(flag) false → true")) }
                if was && !will { concerns.append(.narrowsAccess("\(flag) true → false")) }
            }
            for field in ["ip_access", "enforce_tfa"] where before[field] != after[field] {
                concerns.append(.narrowsAccess("\(field) changes: people may be locked out"))
            }
        case .permission:
            let oldFields = Set((before["fields"]?.arrayValue ?? []).compactMap(\.stringValue))
            let newFields = Set((after["fields"]?.arrayValue ?? []).compactMap(\.stringValue))
            if !oldFields.isSubset(of: newFields) && !newFields.contains("*") {
                concerns.append(
                    .narrowsAccess(
                        "fields removed: \(oldFields.subtracting(newFields).sorted().joined(separator: ", "))"))
            }
            if !newFields.isSubset(of: oldFields) && !oldFields.contains("*") {
                concerns.append(
                    .widensAccess("fields added: \(newFields.subtracting(oldFields).sorted().joined(separator: ", "))"))
            }
            for rule in ["permissions", "validation"] where before[rule] != after[rule] {
                let tighter = isEmptyRule(before[rule]) && !isEmptyRule(after[rule])
                let looser = !isEmptyRule(before[rule]) && isEmptyRule(after[rule])
                if tighter { concerns.append(.narrowsAccess("a \(rule) rule is added")) }
                if looser { concerns.append(.widensAccess("the \(rule) rule is removed")) }
                if !tighter && !looser {
                    concerns.append(.widensAccess("the \(rule) rule changes: check what it lets through"))
                }
            }
        case .flow:
            for field in ["status", "trigger"] where before[field] != after[field] {
                concerns.append(.breaksCallers("\(field) changes"))
            }
            if before["options"]?["method"] != after["options"]?["method"] {
                concerns.append(.breaksCallers("the webhook method changes"))
            }
        case .settings:
            for field in change.fields
            where field.hasPrefix("auth_") || field.hasPrefix("public_registration")
                || field == "storage_asset_transform"
            {
                concerns.append(.instanceWide("\(field) changes"))
            }
        default: break
        }
        return concerns
    }

    static func isEmptyRule(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case .object(let object)?: object.isEmpty
        default: false
        }
    }
}
