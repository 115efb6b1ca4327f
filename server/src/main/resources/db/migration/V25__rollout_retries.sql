-- Flotilla schema v25. Portable SQL for H2 2.x and PostgreSQL.

-- Retries with backoff. A failed device an operator retried before its backoff passed (policies:
-- retryBackoffSeconds, times retryBackoffFactor for each further retry, at most retryBackoffMaxSeconds, counted
-- from its failure) waits here until due_at; the evaluator then re-admits it if it is still failed and deletes
-- the row. An abort deletes its rollout's rows. No reference to devices: a deleted device's row is dropped
-- when due.
CREATE TABLE rollout_retries (
    rollout_id VARCHAR(64) NOT NULL REFERENCES deployments (id),
    device_id  VARCHAR(64) NOT NULL,
    due_at     BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
);
