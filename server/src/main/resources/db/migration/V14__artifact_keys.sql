-- Flotilla schema v14. Portable SQL for H2 2.x and PostgreSQL.

-- Where a release's image is kept in the artifact store (a key such as artifacts/upl_...). An image is
-- stored once, under its upload's key, when it is uploaded; publishing a release records that key and moves
-- nothing. Releases published before v14 keep their files under artifacts/SHA256.
ALTER TABLE releases ADD COLUMN artifact_key VARCHAR(255);
UPDATE releases SET artifact_key = 'artifacts/' || sha256;
ALTER TABLE releases ALTER COLUMN artifact_key SET NOT NULL;
