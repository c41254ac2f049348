import Crypto
import DirectusSchema
import Foundation

/// Directus-style access tokens: HS256 JWTs with `iss: directus`, an `id`, an admin flag and an expiry.
struct AccessTokens: Sendable {
    let secret: SymmetricKey

    init(secret: String) {
        self.secret = SymmetricKey(data: Data(secret.utf8))
    }

    struct Claims: Sendable, Equatable {
        var userID: String
        var admin: Bool
        /// Seconds since 1970.
        var expires: Int
        var issuedAt: Int = 0
        /// A serial number per issued token, so revocation can be exact.
        var serial: Int = 0
    }

    enum Verdict: Equatable {
        case valid(Claims)
        case expired
        case invalid
        /// Not a Directus JWT at all: look it up as a static token.
        case notAJWT
    }

    func issue(_ claims: Claims, issuedAt: Int) -> String {
        let header = base64URL(Data(#"{"typ":"JWT","alg":"HS256"}"#.utf8))
        let payload: JSONValue = [
            "id": .string(claims.userID), "role": nil, "app_access": true, "admin_access": .bool(claims.admin),
            "iat": .number(JSONNumber(issuedAt)), "exp": .number(JSONNumber(claims.expires)),
            "session": .number(JSONNumber(claims.serial)), "iss": "directus",
        ]
        let body = base64URL(Data(payload.jsonString.utf8))
        let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(body)".utf8), using: secret)
        return "\(header).\(body).\(base64URL(Data(signature)))"
    }

    func verify(_ token: String, now: Int) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payloadData = decodeBase64URL(String(parts[1])),
            let payload = try? JSONParser.parse(Array(payloadData)), payload["iss"] == "directus"
        else { return .notAJWT }
        guard let signature = decodeBase64URL(String(parts[2])),
            HMAC<SHA256>.isValidAuthenticationCode(
                signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: secret)
        else { return .invalid }
        guard let expires = payload["exp"]?.numberValue?.intValue, let id = payload["id"]?.stringValue else {
            return .invalid
        }
        if expires <= now { return .expired }
        return .valid(
            Claims(
                userID: id, admin: payload["admin_access"]?.boolValue ?? false, expires: expires,
                issuedAt: payload["iat"]?.numberValue?.intValue ?? 0,
                serial: payload["session"]?.numberValue?.intValue ?? 0))
    }

    private func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private func decodeBase64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
