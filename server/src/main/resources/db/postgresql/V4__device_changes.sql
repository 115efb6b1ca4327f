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

CREATE FUNCTION device_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'devices' THEN
        INSERT INTO device_changes (device_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    ELSE
        INSERT INTO device_changes (device_id)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.device_id ELSE NEW.device_id END);
    END IF;
    RETURN NULL;
END
$$;

-- A new session needs no entry (the cache holds the token it last saw for a device; another token misses).
CREATE TRIGGER device_sessions_changed AFTER UPDATE OR DELETE ON device_sessions
    FOR EACH ROW EXECUTE FUNCTION device_changed();
-- Only the status matters to a check-in (last_seen_at is written for every check-in and must not count).
CREATE TRIGGER devices_changed AFTER UPDATE OF status OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION device_changed();
CREATE TRIGGER device_manifests_changed AFTER INSERT OR UPDATE OR DELETE ON device_manifests
    FOR EACH ROW EXECUTE FUNCTION device_changed();
CREATE TRIGGER device_assignments_changed AFTER INSERT OR UPDATE OR DELETE ON device_assignments
    FOR EACH ROW EXECUTE FUNCTION device_changed();
