-- PostgreSQL (the server adds db/postgresql to Flyway's locations on PostgreSQL): the device search's
-- prefix match ("q": the start of a device id or key id, LIKE 'prefix%') from an index. The primary key and
-- the unique key id use the database's collation, which PostgreSQL can use for LIKE only under the C
-- collation; these indexes compare characters as bytes (varchar_pattern_ops), whatever the collation.
-- H2 turns a prefix LIKE into a range of its ordinary indexes and needs no twin of this version.
CREATE INDEX devices_id_prefix_idx ON devices (id varchar_pattern_ops);
CREATE INDEX devices_key_id_prefix_idx ON devices (key_id varchar_pattern_ops);
