// PromotionStore owns the SQLite state database: snapshot history, diffs, promotions and the audit log.
// It is built by the store issue (#5); until then this module holds no code, and nothing depends on it at
// run time.
