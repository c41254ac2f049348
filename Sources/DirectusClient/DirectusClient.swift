// DirectusClient talks HTTP to Directus instances: auth, timeouts, retries, uploads and typed errors.
// It is built by the client issue (#4); until then this module holds no code.
