import DirectusSchema
import Foundation

extension DirectusClient {
    /// The token for the next request: the static token, or a session's access token, logging in or refreshing
    /// ahead of expiry as needed.
    func accessToken() async throws(DirectusClientError) -> Secret {
        switch endpoint.authentication {
        case .staticToken(let token):
            return token
        case .credentials(let email, let password):
            if let session, session.expiresAt - .now > endpoint.refreshAhead {
                return session.accessToken
            }
            if let session {
                do {
                    return try await refresh(session.refreshToken)
                } catch {
                    logger.info("refreshing the access token failed, logging in again", metadata: ["error": "\(error)"])
                }
            }
            return try await login(email: email, password: password)
        }
    }

    private func login(email: String, password: Secret) async throws(DirectusClientError) -> Secret {
        let body: JSONValue = ["email": .string(email), "password": .string(password.value), "mode": "json"]
        let answer = try await perform(
            Call(
                method: .POST, path: "/auth/login", body: .json(JSONWriter().bytes(body)), isIdempotent: true,
                authenticated: false, operation: "login"))
        return try store(answer, operation: "login")
    }

    private func refresh(_ refreshToken: Secret) async throws(DirectusClientError) -> Secret {
        let body: JSONValue = ["refresh_token": .string(refreshToken.value), "mode": "json"]
        // Not retried: a refresh token works once, so a lost answer cannot be replayed.
        let answer = try await perform(
            Call(
                method: .POST, path: "/auth/refresh", body: .json(JSONWriter().bytes(body)), isIdempotent: false,
                authenticated: false, operation: "token refresh"))
        return try store(answer, operation: "token refresh")
    }

    /// Keeps the tokens of a login or refresh answer (the rotated refresh token replaces the old one).
    private func store(_ answer: Answer, operation: String) throws(DirectusClientError) -> Secret {
        guard answer.status == 200 else {
            session = nil
            throw DirectusClientError.classify(status: answer.status, body: answer.body)
        }
        guard let data = (try? JSONParser.parse(answer.body))?["data"],
            let access = data["access_token"]?.stringValue, let refresh = data["refresh_token"]?.stringValue
        else { throw DirectusClientError.malformedResponse(detail: "\(operation) answered without tokens") }
        // Whatever the server says, a token is kept between 10 seconds and a day.
        let lifetime = Duration.milliseconds(
            min(max(data["expires"]?.numberValue?.intValue ?? 900_000, 10_000), 86_400_000))
        session = Session(accessToken: Secret(access), refreshToken: Secret(refresh), expiresAt: .now + lifetime)
        logger.debug("\(operation) succeeded", metadata: ["token.expires_in_s": "\(Int(lifetime.seconds))"])
        return Secret(access)
    }
}
