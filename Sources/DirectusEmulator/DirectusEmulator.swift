// DirectusEmulator is the faithful Directus schema-API test double (a library used by tests and `demo`).
// It is built by the emulator issue (#3); until then this module holds no code.
