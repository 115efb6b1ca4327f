-- Flotilla schema v3: deployments get a state (active, cancelled), a forced flag (signed into each
-- assignment) and may target a tag; while a group or tag deployment is active, devices that join the group
-- or get the tag are assigned on that write (see Deployments / MembershipAssignments).
ALTER TABLE deployments ADD COLUMN tag_name VARCHAR(200);
ALTER TABLE deployments ADD COLUMN forced BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE deployments ADD COLUMN state VARCHAR(32) DEFAULT 'active' NOT NULL;
-- Deployments made before v3 assigned their members once and followed nobody: they stay that way
-- ('closed': assigns no new device, like 'cancelled', but nobody cancelled it).
UPDATE deployments SET state = 'closed';
ALTER TABLE deployments ADD COLUMN cancelled_at BIGINT;
ALTER TABLE deployments ADD COLUMN cancelled_by VARCHAR(64);
CREATE INDEX deployments_group_idx ON deployments (group_name, state);
CREATE INDEX deployments_tag_idx ON deployments (tag_name, state);

-- One row; a transaction that creates or cancels a group/tag deployment, or changes a device's group or
-- tags, locks it first (SELECT ... FOR UPDATE), so that on one database (one or many servers) a device
-- joining a group and a deployment to that group being created never miss each other.
CREATE TABLE deployment_membership_lock (
    id INTEGER PRIMARY KEY
);
INSERT INTO deployment_membership_lock (id) VALUES (1);
