-- Flotilla schema v13: the device states of each rollout over time, for the dashboard's chart. The rollout
-- evaluator samples a rollout's devices by state (every device it admitted, acknowledged or not) at most
-- every 10 seconds and only when the counts changed; at most 1,000 samples are kept per rollout (older ones
-- are thinned to every other one). Portable SQL for H2 2.x and PostgreSQL.
CREATE TABLE rollout_samples (
    rollout_id  VARCHAR(64) NOT NULL REFERENCES deployments (id),
    at          BIGINT NOT NULL,
    pending     INTEGER NOT NULL,
    in_progress INTEGER NOT NULL,
    committed   INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    stopped     INTEGER NOT NULL,
    PRIMARY KEY (rollout_id, at)
);
