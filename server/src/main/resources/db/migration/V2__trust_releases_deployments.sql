-- Flotilla schema v2: TUF metadata the server publishes, release images, deployments and per-device
-- director assignments. Times are epoch milliseconds.

-- Every published metadata file, by role and version: root (uploaded by operators, signed offline),
-- targets (uploaded, signed offline), snapshot and timestamp (signed by the server's online keys).
-- The primary key makes a version unique even when two servers publish at once.
CREATE TABLE tuf_metadata (
    role_name   VARCHAR(32) NOT NULL,
    version     BIGINT NOT NULL,
    body        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (role_name, version)
);

-- One row; publishers lock it (SELECT ... FOR UPDATE) so that servers on one database take turns.
CREATE TABLE tuf_publish_lock (
    id INTEGER PRIMARY KEY
);
INSERT INTO tuf_publish_lock (id) VALUES (1);

-- Images uploaded and hashed but not yet part of a release (the bytes are in DIR/staging/ID).
CREATE TABLE image_uploads (
    id          VARCHAR(64) PRIMARY KEY,
    length      BIGINT NOT NULL,
    sha256      VARCHAR(64) NOT NULL,
    sha512      VARCHAR(128) NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  VARCHAR(64) NOT NULL
);

-- Released images (bytes in DIR/artifacts/SHA256), one row per target path.
CREATE TABLE releases (
    target_path     VARCHAR(255) PRIMARY KEY,
    length          BIGINT NOT NULL,
    sha256          VARCHAR(64) NOT NULL,
    sha512          VARCHAR(128) NOT NULL,
    version         VARCHAR(128) NOT NULL,
    targets_version BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX releases_sha256_idx ON releases (sha256);
CREATE INDEX releases_sha512_idx ON releases (sha512);

CREATE TABLE deployments (
    id          VARCHAR(64) PRIMARY KEY,
    target_path VARCHAR(255) NOT NULL REFERENCES releases (target_path),
    device_id   VARCHAR(64),
    group_name  VARCHAR(200),
    created_at  BIGINT NOT NULL,
    created_by  VARCHAR(64) NOT NULL
);

-- The current assignment of a device (at most one); counter is the device's director counter.
CREATE TABLE device_assignments (
    device_id     VARCHAR(64) PRIMARY KEY REFERENCES devices (id),
    deployment_id VARCHAR(64) NOT NULL REFERENCES deployments (id),
    target_path   VARCHAR(255) NOT NULL,
    counter       BIGINT NOT NULL,
    status        VARCHAR(32) NOT NULL,
    body          VARCHAR(65536) NOT NULL,
    body_hash     VARCHAR(64) NOT NULL,
    expires_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX device_assignments_deployment_idx ON device_assignments (deployment_id);

-- The highest director counter ever issued per device (survives replaced assignments).
CREATE TABLE director_counters (
    device_id VARCHAR(64) PRIMARY KEY REFERENCES devices (id),
    counter   BIGINT NOT NULL
);
