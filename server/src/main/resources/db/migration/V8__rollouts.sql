-- Flotilla schema v8: staged rollouts. A rollout is a row of `deployments` (one engine: a deployment made with
-- POST /api/v1/deployments is a rollout of one 100% stage without gates, kind 'deployment'); it gains a
-- selection, a plan and policies (JSON text, validated before they are stored), its current stage and when that
-- stage started, the highest stage an operator approved, an optional start time, and the record of a halt.
-- Rows of kind 'deployment' keep their selection in device_id / group_name / tag_name and need no plan (one
-- 100% stage).
ALTER TABLE deployments ADD COLUMN kind VARCHAR(16) DEFAULT 'deployment' NOT NULL;
ALTER TABLE deployments ADD COLUMN selection_json VARCHAR(65536);
ALTER TABLE deployments ADD COLUMN plan_json VARCHAR(65536);
ALTER TABLE deployments ADD COLUMN policies_json VARCHAR(65536);
ALTER TABLE deployments ADD COLUMN stage INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE deployments ADD COLUMN stage_started_at BIGINT;
ALTER TABLE deployments ADD COLUMN approved_stage INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE deployments ADD COLUMN start_at BIGINT;
ALTER TABLE deployments ADD COLUMN halt_json VARCHAR(65536);
UPDATE deployments SET stage_started_at = created_at;
CREATE INDEX deployments_state_idx ON deployments (state, kind);

-- Every device a rollout admitted (in which stage, from which previous release) and its outcome there, kept
-- when the device's assignment is later replaced: the per-stage funnel, the gates and the failure breakdown
-- are counted here. state: assigned, downloading, downloaded, installing, trial, committed, failed,
-- rolled_back, timed_out, withdrawn, superseded, skipped, reverted. acknowledged: a failure an operator
-- acknowledged by resuming (no longer counted by the gates).
CREATE TABLE rollout_devices (
    rollout_id       VARCHAR(64) NOT NULL REFERENCES deployments (id),
    device_id        VARCHAR(64) NOT NULL REFERENCES devices (id),
    stage            INTEGER NOT NULL,
    state            VARCHAR(32) NOT NULL,
    reason           VARCHAR(200),
    hardware_id      VARCHAR(200) NOT NULL,
    previous_target  VARCHAR(255),
    previous_version VARCHAR(128),
    previous_security BIGINT,
    admitted_at      BIGINT NOT NULL,
    committed_at     BIGINT,
    updated_at       BIGINT NOT NULL,
    attempts         INTEGER DEFAULT 1 NOT NULL,
    acknowledged     BOOLEAN DEFAULT FALSE NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX rollout_devices_device_idx ON rollout_devices (device_id);

-- The assignments issued before v8, as the outcomes of their deployments (stage 0).
INSERT INTO rollout_devices (rollout_id, device_id, stage, state, hardware_id, admitted_at, committed_at, updated_at)
SELECT a.deployment_id, a.device_id, 0,
       CASE a.status WHEN 'installed' THEN 'installing' ELSE a.status END,
       d.hardware_id, a.updated_at, CASE WHEN a.status = 'committed' THEN a.updated_at END, a.updated_at
FROM device_assignments a JOIN devices d ON d.id = a.device_id;

-- The members of a static selection, frozen when the rollout starts.
CREATE TABLE rollout_members (
    rollout_id VARCHAR(64) NOT NULL REFERENCES deployments (id),
    device_id  VARCHAR(64) NOT NULL REFERENCES devices (id),
    PRIMARY KEY (rollout_id, device_id)
);

-- One row; the transaction that evaluates the rollouts (timeouts, gates, stages) and every operator action on a
-- rollout lock it first (SELECT ... FOR UPDATE), so with several servers on one database one evaluates at a
-- time; a server that dies releases it with its connection, and another takes over at its next tick.
CREATE TABLE rollout_evaluation_lock (
    id INTEGER PRIMARY KEY
);
INSERT INTO rollout_evaluation_lock (id) VALUES (1);
