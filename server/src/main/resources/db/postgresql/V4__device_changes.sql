-- PostgreSQL only (the server adds db/postgresql to Flyway's locations on PostgreSQL): the change feed
-- behind the idle check-in cache (docs/decisions/0004-idle-check-in-cache.md). Every write that can change
-- the answer to a device's idle check-in (its sessions, its status, its stored manifest, its assignment)
-- adds a row here in the same transaction, by trigger, whichever code or tool makes the write. Each server
-- reads the rows committed since its previous read (by transaction id against its previous snapshot, so a
-- transaction that commits late is never skipped) and drops that device from its cache.
-- Needs PostgreSQL 13 or later (pg_current_xact_id, pg_current_snapshot, pg_visible_in_snapshot).
CREATE TABLE device_changes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid        XID8 NOT NULL DEFAULT pg_current_xact_id(),
    device_id  VARCHAR(64) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX device_changes_xid_idx ON device_changes (xid);

-- Rows of transactions older than before_xid may have been deleted (ChangeFeed trims in batches after
-- raising it): a server whose previous read's xmin is below it clears its cache instead of trusting the rows.
CREATE TABLE device_changes_trimmed (
    id         INT PRIMARY KEY CHECK (id = 1),
    before_xid XID8 NOT NULL
);
INSERT INTO device_changes_trimmed (id, before_xid) VALUES (1, '0');

CREATE FUNCTION device_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'devices' THEN
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO device_changes (device_id) VALUES (OLD.id);
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
            INSERT INTO device_changes (device_id) VALUES (NEW.id);
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO device_changes (device_id) VALUES (OLD.device_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.device_id <> OLD.device_id) THEN
            INSERT INTO device_changes (device_id) VALUES (NEW.device_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE has no rows: '*' tells every server to clear its whole cache.
CREATE FUNCTION devices_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO device_changes (device_id) VALUES ('*');
    RETURN NULL;
END
$$;

-- A new session needs no entry (the cache holds the token it last saw for a device; another token misses).
CREATE TRIGGER device_sessions_changed AFTER UPDATE OR DELETE ON device_sessions
    FOR EACH ROW EXECUTE FUNCTION device_changed();
-- Only the status matters to a check-in (last_seen_at is written for every check-in and must not count).
CREATE TRIGGER devices_changed AFTER UPDATE OF id, status OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION device_changed();
CREATE TRIGGER device_manifests_changed AFTER INSERT OR UPDATE OR DELETE ON device_manifests
    FOR EACH ROW EXECUTE FUNCTION device_changed();
CREATE TRIGGER device_assignments_changed AFTER INSERT OR UPDATE OR DELETE ON device_assignments
    FOR EACH ROW EXECUTE FUNCTION device_changed();
CREATE TRIGGER device_sessions_truncated AFTER TRUNCATE ON device_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION devices_truncated();
CREATE TRIGGER devices_truncated AFTER TRUNCATE ON devices
    FOR EACH STATEMENT EXECUTE FUNCTION devices_truncated();
CREATE TRIGGER device_manifests_truncated AFTER TRUNCATE ON device_manifests
    FOR EACH STATEMENT EXECUTE FUNCTION devices_truncated();
CREATE TRIGGER device_assignments_truncated AFTER TRUNCATE ON device_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION devices_truncated();
