import DirectusSchema

/// How an emulated Directus instance is set up.
public struct EmulatorConfiguration: Sendable {
    /// A user of the instance.
    public struct User: Sendable, Equatable {
        public var email: String
        public var password: String
        public var admin: Bool
        /// A static token for this user (`directus_users.token`), if any.
        public var staticToken: String?

        public init(email: String, password: String, admin: Bool, staticToken: String? = nil) {
            self.email = email
            self.password = password
            self.admin = admin
            self.staticToken = staticToken
        }
    }

    /// The version the server reports and checks uploads against (default 11.17.4); the schema API behaves as
    /// that release's phase does (`DirectusPhase`).
    public var version: String
    /// The database vendor (`postgres`, `mysql`, `sqlite`, …).
    public var vendor: String
    public var users: [User]
    /// `ACCESS_TOKEN_TTL` (Directus's default: 15 minutes).
    public var accessTokenTTL: Duration
    /// `REFRESH_TOKEN_TTL` (Directus's default: 7 days).
    public var refreshTokenTTL: Duration
    /// `MAX_PAYLOAD_SIZE` for JSON bodies (Directus's default: 1 MB).
    public var maxPayloadSize: Int
    /// `IMPORT_MAX_FILE_SIZE` (12.2+): a multipart file of this many bytes or more is refused with 413 (Directus's
    /// default: 50 MB). Earlier versions have no cap.
    public var importMaxFileSize: Int
    /// `QUERY_LIMIT_MAX`: the most rows one read returns, `limit=-1` included (Directus's default: no cap).
    public var queryLimitMax: Int?
    /// `LOGIN_STALL_TIME`: logins answer no sooner than this (Directus's default: 500 ms).
    public var loginStall: Duration
    /// `PUBLIC_URL`, reported as `serviceId` by the health check.
    public var publicURL: String
    /// The project name in `/server/info`.
    public var projectName: String
    /// Rows per collection, served by `GET /items/COLLECTION?aggregate[count]=*`.
    public var rowCounts: [String: Int]
    /// The secret that signs access tokens.
    public var secret: String
    /// Replay recorded Directus answers (the conformance cases) rather than act as a live instance:
    /// - report the stored snapshot exactly as given, header included (a real server writes its own header:
    ///   `version`, `directus`, `vendor`, `systemFields` from 11.13), so the hash covers exactly what was recorded;
    /// - after an apply is decided, pass over operations Directus's services would refuse (the recorded answers
    ///   hold the decision of `validateApplyDiff`, not the outcome of the database step).
    public var replaysRecordedCases = false

    public init(
        version: String = "11.17.4", vendor: String = "postgres", users: [User] = [],
        accessTokenTTL: Duration = .seconds(900),
        refreshTokenTTL: Duration = .seconds(604_800), maxPayloadSize: Int = 1_048_576,
        importMaxFileSize: Int = 52_428_800,
        loginStall: Duration = .zero, publicURL: String = "/", projectName: String = "Directus",
        rowCounts: [String: Int] = [:], secret: String = "emulator-secret"
    ) {
        self.version = version
        self.vendor = vendor
        self.users = users
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
        self.maxPayloadSize = maxPayloadSize
        self.importMaxFileSize = importMaxFileSize
        self.loginStall = loginStall
        self.publicURL = publicURL
        self.projectName = projectName
        self.rowCounts = rowCounts
        self.secret = secret
    }

    /// An instance with one admin, reachable with `token` (and `admin@example.com` / `password`).
    public static func withAdminToken(
        _ token: String, version: String = "11.17.4", vendor: String = "postgres"
    )
        -> EmulatorConfiguration
    {
        EmulatorConfiguration(
            version: version, vendor: vendor,
            users: [User(email: "admin@example.com", password: "password", admin: true, staticToken: token)])
    }

    var uploadLimits: UploadLimits {
        UploadLimits(maxPayloadSize: maxPayloadSize, importMaxFileSize: importMaxFileSize)
    }

    var parsedVersion: DirectusVersion { DirectusVersion(version) ?? DirectusVersion(11, 17, 4) }
}
