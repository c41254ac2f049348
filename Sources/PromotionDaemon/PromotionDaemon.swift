// PromotionDaemon runs the services: pollers, the reconciler tick, notifications, metrics, systemd notify.
// It is built by the engine and daemon issues (#6, #8); until then this module holds no code.
