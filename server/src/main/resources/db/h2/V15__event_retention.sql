-- H2 (the server adds db/h2 to Flyway's locations on H2; db/postgresql has the PostgreSQL twin of this
-- version): what device event retention needs (EventRetention, docs/decisions/0005-event-retention.md).

-- Finds the events older than the retention in the order they were received, so each batch of the
-- retention job reads only the rows it deletes. IF NOT EXISTS: an operator may have built it beforehand.
CREATE INDEX IF NOT EXISTS device_events_received_idx ON device_events (received_at);

-- One server at a time runs the retention job: it holds this lease (a random id per server process) until
-- lease_until (epoch milliseconds), renewing it after each batch; another server skips its run meanwhile.
CREATE TABLE event_retention_lease (
    id          INT PRIMARY KEY CHECK (id = 1),
    holder      VARCHAR(36),
    lease_until BIGINT NOT NULL
);
INSERT INTO event_retention_lease (id, holder, lease_until) VALUES (1, NULL, 0);
