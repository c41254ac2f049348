// PromotionCore holds the pure promotion logic: pipelines, the promotion state machine and policies.
// It is built by the engine issue (#6); until then this module holds no code.
