-- PostgreSQL (the server adds db/postgresql to Flyway's locations on PostgreSQL; db/h2 has the H2 twin of
-- this version): what device event retention needs (EventRetention, docs/decisions/0005-event-retention.md).

-- Finds the events older than the retention in the order they were received, so each batch of the
-- retention job reads only the rows it deletes. A plain CREATE INDEX holds event inserts back while it is
-- built (Flyway cannot run CREATE INDEX CONCURRENTLY under its migration lock); on a large table an
-- operator may build it beforehand with
--   CREATE INDEX CONCURRENTLY device_events_received_idx ON device_events (received_at);
-- and this statement then does nothing.
CREATE INDEX IF NOT EXISTS device_events_received_idx ON device_events (received_at);

-- Rows deleted by the retention job leave dead tuples until VACUUM; let autovacuum reclaim them once 2% of
-- the table is dead (the default waits for 20%), so the table does not swell between passes.
ALTER TABLE device_events SET (autovacuum_vacuum_scale_factor = 0.02);

-- One server at a time runs the retention job: it holds this lease (a random id per server process) until
-- lease_until (epoch milliseconds), renewing it after each batch; another server skips its run meanwhile.
CREATE TABLE event_retention_lease (
    id          INT PRIMARY KEY CHECK (id = 1),
    holder      VARCHAR(36),
    lease_until BIGINT NOT NULL
);
INSERT INTO event_retention_lease (id, holder, lease_until) VALUES (1, NULL, 0);
