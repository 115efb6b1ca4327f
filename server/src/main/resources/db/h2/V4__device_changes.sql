-- H2 only (the server adds db/h2 to Flyway's locations on H2): the change feed behind the idle check-in
-- cache of an embedded H2 database (docs/decisions/0004-idle-check-in-cache.md). The triggers run in the
-- server's own process (H2ChangeFeed.Trigger): every write that can change a device's idle check-in answer
-- holds that device out of the cache at once and adds a row here in the same transaction; the feed
-- releases the device when it sees the row, i.e. once the write committed.
CREATE TABLE device_changes (
    token     BIGINT PRIMARY KEY,
    device_id VARCHAR(64) NOT NULL
);
-- Which database a trigger fires in (a server in the same process registers its feed under this key).
CREATE TABLE device_changes_db (
    db_key VARCHAR(36) NOT NULL
);
INSERT INTO device_changes_db (db_key) VALUES (CAST(RANDOM_UUID() AS VARCHAR(36)));

CREATE TRIGGER device_sessions_changed AFTER UPDATE, DELETE ON device_sessions
    FOR EACH ROW CALL 'dev.flotilla.server.devices.H2ChangeFeed$Trigger';
CREATE TRIGGER devices_changed AFTER UPDATE, DELETE ON devices
    FOR EACH ROW CALL 'dev.flotilla.server.devices.H2ChangeFeed$Trigger';
CREATE TRIGGER device_manifests_changed AFTER INSERT, UPDATE, DELETE ON device_manifests
    FOR EACH ROW CALL 'dev.flotilla.server.devices.H2ChangeFeed$Trigger';
CREATE TRIGGER device_assignments_changed AFTER INSERT, UPDATE, DELETE ON device_assignments
    FOR EACH ROW CALL 'dev.flotilla.server.devices.H2ChangeFeed$Trigger';
