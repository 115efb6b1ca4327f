-- Flotilla schema v17. Portable SQL for H2 2.x and PostgreSQL.

-- A maintenance window per device group (groups are the devices.device_group values): a device of the group
-- gets it signed into its assignment as installWindow when the rollout sets no window of its own. The
-- window is validated by the same rules as a rollout's policies.maintenanceWindow before it is stored.
CREATE TABLE group_windows (
    group_name       VARCHAR(200) PRIMARY KEY,
    cron             VARCHAR(200) NOT NULL,
    duration_minutes INTEGER      NOT NULL,
    zone             VARCHAR(100) NOT NULL,
    updated_at       BIGINT       NOT NULL,
    updated_by       VARCHAR(128) NOT NULL
);
