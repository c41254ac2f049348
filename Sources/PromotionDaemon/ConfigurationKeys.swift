/// Every key of the configuration file, with its default and meaning: the one source the reader takes the keys it
/// accepts from, the man page prints, and `docs/configuration.md` is checked against (a test).
public enum ConfigurationKeys {
    public struct Key: Sendable, Equatable {
        /// `poll.interval`; `environments[].url`; `webhooks[].secret_file`.
        public var path: String
        public var defaultValue: String
        public var meaning: String
    }

    public static let all: [Key] = [
        Key(
            path: "poll.interval", defaultValue: "60s",
            meaning: "How often the source's schema is polled (100ms to 1d)."),
        Key(path: "poll.jitter", defaultValue: "10%", meaning: "Each wait is longer by a random share up to this."),
        Key(
            path: "state_directory", defaultValue: "/var/lib/directus-promoter",
            meaning: "Where state.sqlite and daemon.lock live (absolute; made 0700)."),
        Key(
            path: "log.level", defaultValue: "info",
            meaning: "trace, debug, info, notice, warning, error or critical."),
        Key(
            path: "log.format", defaultValue: "text", meaning: "text, or json (one object per line, for log shippers)."),
        Key(path: "timeouts.connect", defaultValue: "10s", meaning: "TCP and TLS connection timeout (100ms to 10m)."),
        Key(path: "timeouts.request", defaultValue: "60s", meaning: "Every environment's default timeouts.request."),
        Key(path: "timeouts.tick", defaultValue: "3 requests", meaning: "Every environment's default timeouts.tick."),
        Key(
            path: "drift.interval", defaultValue: "5m",
            meaning: "How often each target's schema is checked for drift (100ms to 1d)."),
        Key(
            path: "http.listen", defaultValue: "off",
            meaning: "host:port of /metrics, /healthz, /status and the web view."),
        Key(
            path: "http.decisions.credentials_file", defaultValue: "off",
            meaning: "name:password lines: who may decide in the web view."),
        Key(
            path: "http.decisions.credentials_env", defaultValue: "off",
            meaning: "The same lines from this variable."),
        Key(
            path: "promote", defaultValue: "[schema]",
            meaning: "[schema, configuration, content] also promotes what is below."),
        Key(path: "configuration", defaultValue: "none", meaning: "What configuration is promoted."),
        Key(
            path: "configuration.collections", defaultValue: "required",
            meaning: "roles, policies, access, permissions, flows, operations, ..."),
        Key(path: "content", defaultValue: "none", meaning: "Reference data promoted with the schema."),
        Key(
            path: "content.collections", defaultValue: "required",
            meaning: "Collections whose rows travel: a name, or a mapping below."),
        Key(path: "content.collections[].collection", defaultValue: "required", meaning: "The collection."),
        Key(
            path: "content.collections[].identity", defaultValue: "primary key",
            meaning: "Field(s) naming a row on every instance, e.g. code."),
        Key(
            path: "content.collections[].policy", defaultValue: "upsert",
            meaning: "upsert, insert-only, or mirror (deletions)."),
        Key(
            path: "content.collections[].ignore", defaultValue: "[]",
            meaning: "Fields never compared nor sent."),
        Key(
            path: "content.max_rows", defaultValue: "10000",
            meaning: "Rows per collection; a larger one is refused."),
        Key(
            path: "content.max_bytes", defaultValue: "8388608",
            meaning: "Bytes of a collection's rows; a larger one is refused."),
        Key(
            path: "environments", defaultValue: "required",
            meaning: "The environments in promotion order: the source, then one target or more."),
        Key(path: "environments[].name", defaultValue: "required", meaning: "Lower-case letters, digits, - and _."),
        Key(
            path: "environments[].url", defaultValue: "required", meaning: "http(s)://host[:port], without credentials."
        ),
        Key(path: "environments[].token", defaultValue: "", meaning: "An admin's static token, inline (discouraged)."),
        Key(path: "environments[].token_env", defaultValue: "", meaning: "The static token from this variable."),
        Key(
            path: "environments[].token_file", defaultValue: "",
            meaning: "The static token from this file ($CREDENTIALS_DIRECTORY/...)."),
        Key(path: "environments[].email", defaultValue: "", meaning: "Log in as this admin (with a password key)."),
        Key(path: "environments[].password", defaultValue: "", meaning: "The password, inline (discouraged)."),
        Key(path: "environments[].password_env", defaultValue: "", meaning: "The password from this variable."),
        Key(path: "environments[].password_file", defaultValue: "", meaning: "The password from this file."),
        Key(
            path: "environments[].timeouts.request", defaultValue: "60s",
            meaning: "One request, headers and body (100ms to 1h)."),
        Key(
            path: "environments[].timeouts.tick", defaultValue: "3 requests",
            meaning: "All of the environment's requests in one tick (1s to 1d)."),
        Key(
            path: "environments[].retry.max_attempts", defaultValue: "4",
            meaning: "Attempts of a safe call (snapshot, diff); an apply is never retried."),
        Key(path: "environments[].retry.initial_delay", defaultValue: "500ms", meaning: "The first backoff, doubled."),
        Key(
            path: "environments[].limits.max_snapshot_bytes", defaultValue: "256 MiB",
            meaning: "Larger answers are refused, read no further."),
        Key(
            path: "environments[].limits.multipart_threshold", defaultValue: "900000",
            meaning: "Uploads this large go as a multipart file."),
        Key(path: "environments[].tls.ca_bundle", defaultValue: "system", meaning: "A PEM file of extra CAs."),
        Key(
            path: "environments[].tls.insecure_skip_verify", defaultValue: "false",
            meaning: "Skip certificate checks (test instances only)."),
        Key(
            path: "environments[].force", defaultValue: "false",
            meaning: "Promote across snapshot formats or vendors (deliberately)."),
        Key(
            path: "environments[].follow_redirects", defaultValue: "false",
            meaning: "Follow same-host redirects of GET requests."),
        Key(
            path: "environments[].approval", defaultValue: "automatic, then manual",
            meaning: "Targets: automatic or manual."),
        Key(path: "environments[].approvals", defaultValue: "1", meaning: "Targets: distinct approvals needed (1-10)."),
        Key(
            path: "environments[].destructive", defaultValue: "allow, then approve",
            meaning: "Targets: allow, approve (--allow-destructive) or never."),
        Key(
            path: "environments[].ignore", defaultValue: "none",
            meaning: "collection or collection.field patterns this environment owns."),
        Key(path: "environments[].system_indexes", defaultValue: "keep", meaning: "Targets: keep or manage."),
        Key(
            path: "environments[].windows", defaultValue: "any time",
            meaning: "Targets: when approved promotions may be applied."),
        Key(path: "environments[].windows[].days", defaultValue: "daily", meaning: "mon-fri, sat,sun, [mon, wed]."),
        Key(path: "environments[].windows[].hours", defaultValue: "00:00-24:00", meaning: "\"09:00-17:00\"."),
        Key(path: "environments[].windows[].timezone", defaultValue: "UTC", meaning: "An IANA name: Europe/Berlin."),
        Key(
            path: "environments[].soak", defaultValue: "0",
            meaning: "Targets: how long a revision stays upstream before it starts here (to 30d)."),
        Key(path: "webhooks", defaultValue: "none", meaning: "Where notifications go."),
        Key(path: "webhooks[].name", defaultValue: "required", meaning: "Unique; names the webhook."),
        Key(path: "webhooks[].url", defaultValue: "required", meaning: "The http(s) address, inline."),
        Key(path: "webhooks[].url_env", defaultValue: "", meaning: "The address from this variable."),
        Key(path: "webhooks[].url_file", defaultValue: "", meaning: "The address from this file."),
        Key(path: "webhooks[].format", defaultValue: "json", meaning: "json or slack."),
        Key(
            path: "webhooks[].events", defaultValue: "all",
            meaning: "approval_needed, applied, failed, blocked, drift_detected, drift_resolved."),
        Key(path: "webhooks[].secret", defaultValue: "none", meaning: "Signs each body (HMAC-SHA256), inline."),
        Key(path: "webhooks[].secret_env", defaultValue: "none", meaning: "The signing secret from this variable."),
        Key(path: "webhooks[].secret_file", defaultValue: "none", meaning: "The signing secret from this file."),
    ]

    /// The keys directly under `parent` (`""`: the top level; `environments[]`: an environment's).
    public static func children(of parent: String) -> [String] {
        var seen: [String] = []
        for key in all {
            let rest: Substring
            if parent.isEmpty {
                rest = Substring(key.path)
            } else {
                guard key.path.hasPrefix(parent + ".") else { continue }
                rest = key.path.dropFirst(parent.count + 1)
            }
            let name = String(rest.prefix { $0 != "." && $0 != "[" })
            if !name.isEmpty, !seen.contains(name) { seen.append(name) }
        }
        return seen
    }
}
