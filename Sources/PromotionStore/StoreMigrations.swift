import GRDB

/// The state database's schema, as versioned migrations. A migration is never edited once shipped: a change is a
/// new migration.
enum StoreMigrations {
    /// The promotion states `v6-promotion-states-checked` allows.
    static let checkedStates = [
        "queued", "planning", "awaiting_approval", "approved", "applying", "verifying", "stale", "applied", "rejected",
        "superseded", "cancelled", "failed", "blocked",
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-history-and-promotions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE environment (
                        name TEXT PRIMARY KEY NOT NULL,
                        url TEXT NOT NULL,
                        directus_version TEXT,
                        vendor TEXT,
                        last_seen_at REAL
                    ) STRICT;

                    -- Content-addressed snapshots: stored once, however often seen.
                    CREATE TABLE snapshot (
                        hash TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
                        directus_version TEXT,
                        vendor TEXT,
                        size INTEGER NOT NULL CHECK (size >= 0),
                        codec TEXT NOT NULL,
                        -- A delta against this snapshot, when set.
                        base_hash TEXT REFERENCES snapshot(hash),
                        content BLOB NOT NULL,
                        first_seen_at REAL NOT NULL
                    ) STRICT;

                    CREATE TABLE observation (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        environment TEXT NOT NULL REFERENCES environment(name),
                        observed_at REAL NOT NULL,
                        snapshot_hash TEXT REFERENCES snapshot(hash),
                        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
                        error TEXT,
                        -- Whether the snapshot differs from the environment's previous successful observation.
                        changed INTEGER NOT NULL CHECK (changed IN (0, 1)),
                        CHECK ((outcome = 'ok') = (snapshot_hash IS NOT NULL))
                    ) STRICT;
                    CREATE INDEX observation_by_environment ON observation(environment, observed_at);

                    -- Each new schema seen on the source environment.
                    CREATE TABLE revision (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        environment TEXT NOT NULL REFERENCES environment(name),
                        snapshot_hash TEXT NOT NULL REFERENCES snapshot(hash),
                        detected_at REAL NOT NULL
                    ) STRICT;
                    CREATE INDEX revision_by_time ON revision(detected_at);

                    CREATE TABLE diff (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        revision_id INTEGER NOT NULL REFERENCES revision(id),
                        target TEXT NOT NULL REFERENCES environment(name),
                        directus_hash TEXT NOT NULL,
                        target_snapshot_hash TEXT NOT NULL REFERENCES snapshot(hash),
                        codec TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        content BLOB NOT NULL,
                        creates INTEGER NOT NULL,
                        updates INTEGER NOT NULL,
                        deletes INTEGER NOT NULL,
                        destructive INTEGER NOT NULL,
                        computed_at REAL NOT NULL
                    ) STRICT;
                    CREATE INDEX diff_by_revision ON diff(revision_id, target);

                    CREATE TABLE promotion (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        revision_id INTEGER NOT NULL REFERENCES revision(id),
                        target TEXT NOT NULL REFERENCES environment(name),
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                        diff_id INTEGER REFERENCES diff(id),
                        pre_apply_snapshot_hash TEXT REFERENCES snapshot(hash),
                        last_error TEXT,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        UNIQUE (revision_id, target)
                    ) STRICT;
                    CREATE INDEX promotion_by_target ON promotion(target, updated_at);
                    CREATE INDEX promotion_by_state ON promotion(state);
                    CREATE INDEX promotion_by_time ON promotion(updated_at);

                    CREATE TABLE decision (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        promotion_id INTEGER NOT NULL REFERENCES promotion(id),
                        kind TEXT NOT NULL CHECK (kind IN ('approve', 'reject', 'retry', 'cancel')),
                        actor TEXT NOT NULL,
                        comment TEXT,
                        allow_destructive INTEGER NOT NULL DEFAULT 0,
                        decided_at REAL NOT NULL,
                        -- Set when the engine has acted on the decision.
                        consumed_at REAL
                    ) STRICT;
                    CREATE INDEX decision_by_promotion ON decision(promotion_id);

                    -- The append-only audit log.
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at REAL NOT NULL,
                        actor TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        environment TEXT REFERENCES environment(name),
                        promotion_id INTEGER REFERENCES promotion(id),
                        message TEXT NOT NULL,
                        details TEXT
                    ) STRICT;
                    CREATE INDEX event_by_promotion ON event(promotion_id, id);
                    CREATE INDEX event_by_time ON event(at);
                    CREATE TRIGGER event_is_append_only_update BEFORE UPDATE ON event
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER event_is_append_only_delete BEFORE DELETE ON event
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        migrator.registerMigration("v2-machine-memory-and-content-keys") { db in
            try db.execute(
                sql: """
                    -- The state machine's memory (approvals, content keys, retry facts) as JSON.
                    ALTER TABLE promotion ADD COLUMN machine TEXT;
                    -- What a diff would do, independent of Directus's hash (see DiffContentKey).
                    ALTER TABLE diff ADD COLUMN content_key TEXT;
                    CREATE INDEX promotion_by_revision ON promotion(revision_id);
                    """)
        }
        migrator.registerMigration("v3-expectations-and-drift") { db in
            try db.execute(
                sql: """
                    -- The schema each environment is expected to have: the last verified there, the first seen, an
                    -- upgrade of it, or one a person accepted.
                    CREATE TABLE expectation (
                        environment TEXT PRIMARY KEY NOT NULL REFERENCES environment(name),
                        snapshot_hash TEXT NOT NULL REFERENCES snapshot(hash),
                        reason TEXT NOT NULL CHECK (reason IN ('first_seen', 'verified', 'upgraded', 'accepted',
                            'equivalent', 'rolled_back')),
                        since REAL NOT NULL
                    ) STRICT;

                    -- The drift currently seen on an environment (at most one: the latest distinct one).
                    CREATE TABLE drift (
                        environment TEXT PRIMARY KEY NOT NULL REFERENCES environment(name),
                        observed_hash TEXT NOT NULL REFERENCES snapshot(hash),
                        expected_hash TEXT NOT NULL REFERENCES snapshot(hash),
                        summary TEXT NOT NULL,
                        detected_at REAL NOT NULL
                    ) STRICT;
                    """)
        }
        migrator.registerMigration("v4-webhook-deliveries") { db in
            try db.execute(
                sql: """
                    -- How far each webhook has read the audit log (events after this id are not yet queued).
                    CREATE TABLE webhook_cursor (
                        webhook TEXT PRIMARY KEY NOT NULL,
                        last_event_id INTEGER NOT NULL
                    ) STRICT;

                    -- Notifications to send: one per webhook and event, retried with backoff until delivered.
                    CREATE TABLE delivery (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        webhook TEXT NOT NULL,
                        event_id INTEGER NOT NULL REFERENCES event(id),
                        kind TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        last_error TEXT,
                        created_at REAL NOT NULL,
                        delivered_at REAL,
                        UNIQUE (webhook, event_id)
                    ) STRICT;
                    CREATE INDEX delivery_due ON delivery(status, next_attempt_at);
                    """)
        }
        migrator.registerMigration("v5-approvals-despite-warnings") { db in
            // An approval that accepts the plan's predicted apply failure (`approve --despite-warnings`).
            try db.execute(
                sql: """
                    ALTER TABLE decision ADD COLUMN despite_warnings INTEGER NOT NULL DEFAULT 0
                        CHECK (despite_warnings IN (0, 1));
                    """)
        }
        migrator.registerMigration("v6-promotion-states-checked") { db in
            // A promotion's state can only be one of the machine's: the table is rebuilt with a CHECK (SQLite cannot
            // add one to an existing column). Foreign keys are checked once the migration ends (GRDB's default).
            // The states are written out, not read from the enum: a shipped migration never changes (a state added
            // later needs a migration of its own; a test compares this list with the machine's).
            let states = Self.checkedStates.map { "'\($0)'" }.joined(separator: ", ")
            try db.execute(
                sql: """
                    CREATE TABLE promotion_checked (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        revision_id INTEGER NOT NULL REFERENCES revision(id),
                        target TEXT NOT NULL REFERENCES environment(name),
                        state TEXT NOT NULL CHECK (state IN (\(states))),
                        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                        diff_id INTEGER REFERENCES diff(id),
                        pre_apply_snapshot_hash TEXT REFERENCES snapshot(hash),
                        last_error TEXT,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        machine TEXT,
                        UNIQUE (revision_id, target)
                    ) STRICT;
                    INSERT INTO promotion_checked (id, revision_id, target, state, attempts, diff_id,
                            pre_apply_snapshot_hash, last_error, created_at, updated_at, machine)
                        SELECT id, revision_id, target, state, attempts, diff_id, pre_apply_snapshot_hash, last_error,
                            created_at, updated_at, machine
                        FROM promotion;
                    DROP TABLE promotion;
                    ALTER TABLE promotion_checked RENAME TO promotion;
                    CREATE INDEX promotion_by_target ON promotion(target, updated_at);
                    CREATE INDEX promotion_by_state ON promotion(state);
                    CREATE INDEX promotion_by_time ON promotion(updated_at);
                    CREATE INDEX promotion_by_revision ON promotion(revision_id);
                    """)
        }
        migrator.registerMigration("v7-configuration") { db in
            try db.execute(
                sql: """
                    -- Configurations in canonical form (DirectusConfig), content-addressed like snapshots.
                    CREATE TABLE config_snapshot (
                        hash TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
                        size INTEGER NOT NULL CHECK (size >= 0),
                        codec TEXT NOT NULL,
                        content BLOB NOT NULL,
                        first_seen_at REAL NOT NULL
                    ) STRICT;
                    -- A revision is the pair (schema, configuration) of the source; the configuration only when the
                    -- pipeline promotes it.
                    ALTER TABLE revision ADD COLUMN config_hash TEXT REFERENCES config_snapshot(hash);
                    -- The configuration plan of a diff (its JSON rendering, compressed), when there is one.
                    ALTER TABLE diff ADD COLUMN config_plan BLOB;
                    ALTER TABLE diff ADD COLUMN config_plan_size INTEGER;
                    -- The target's configuration before the apply (what a rollback restores).
                    ALTER TABLE promotion ADD COLUMN pre_apply_config_hash TEXT REFERENCES config_snapshot(hash);

                    -- Which record of the target is which record of the source, where natural keys cannot say:
                    -- recorded when the daemon creates a record, or when a person confirms a match.
                    CREATE TABLE config_identity (
                        source TEXT NOT NULL,
                        target TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        source_id TEXT NOT NULL,
                        target_id TEXT NOT NULL,
                        origin TEXT NOT NULL CHECK (origin IN ('created', 'confirmed')),
                        recorded_at REAL NOT NULL,
                        PRIMARY KEY (source, target, kind, source_id),
                        UNIQUE (source, target, kind, target_id)
                    ) STRICT;

                    -- The configuration each target is expected to have, and the drift currently seen from it.
                    CREATE TABLE config_expectation (
                        environment TEXT PRIMARY KEY NOT NULL REFERENCES environment(name),
                        config_hash TEXT NOT NULL REFERENCES config_snapshot(hash),
                        reason TEXT NOT NULL CHECK (reason IN ('first_seen', 'verified', 'accepted', 'rolled_back')),
                        since REAL NOT NULL
                    ) STRICT;
                    CREATE TABLE config_drift (
                        environment TEXT PRIMARY KEY NOT NULL REFERENCES environment(name),
                        observed_hash TEXT NOT NULL REFERENCES config_snapshot(hash),
                        expected_hash TEXT NOT NULL REFERENCES config_snapshot(hash),
                        summary TEXT NOT NULL,
                        detected_at REAL NOT NULL
                    ) STRICT;
                    """)
        }
        migrator.registerMigration("v8-content") { db in
            try db.execute(
                sql: """
                    -- Reference data in canonical form (DirectusContent), content-addressed like snapshots.
                    CREATE TABLE content_snapshot (
                        hash TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
                        size INTEGER NOT NULL CHECK (size >= 0),
                        codec TEXT NOT NULL,
                        content BLOB NOT NULL,
                        first_seen_at REAL NOT NULL
                    ) STRICT;
                    -- A revision's reference data, when the pipeline promotes some.
                    ALTER TABLE revision ADD COLUMN content_hash TEXT REFERENCES content_snapshot(hash);
                    -- The content plan of a diff (its JSON rendering, compressed), when there is one.
                    ALTER TABLE diff ADD COLUMN content_plan BLOB;
                    ALTER TABLE diff ADD COLUMN content_plan_size INTEGER;
                    -- The target's reference data before the apply (what a rollback restores).
                    ALTER TABLE promotion ADD COLUMN pre_apply_content_hash TEXT REFERENCES content_snapshot(hash);
                    -- The reference data each target is expected to have, and the drift currently seen from it.
                    CREATE TABLE content_expectation (
                        environment TEXT PRIMARY KEY NOT NULL REFERENCES environment(name),
                        content_hash TEXT NOT NULL REFERENCES content_snapshot(hash),
                        reason TEXT NOT NULL CHECK (reason IN ('first_seen', 'verified', 'accepted', 'rolled_back')),
                        since REAL NOT NULL
                    ) STRICT;
                    CREATE TABLE content_drift (
                        environment TEXT PRIMARY KEY NOT NULL REFERENCES environment(name),
                        observed_hash TEXT NOT NULL REFERENCES content_snapshot(hash),
                        expected_hash TEXT NOT NULL REFERENCES content_snapshot(hash),
                        summary TEXT NOT NULL,
                        detected_at REAL NOT NULL
                    ) STRICT;
                    """)
        }
        return migrator
    }
}
