-- Flotilla schema v22 (H2 only; PostgreSQL needs no twin of this version): an index of the device ids under a
-- name the device list can give H2 as a hint. For a filter that matches many devices, the list reads the
-- devices in id order and stops once its page is full (DeviceQuery.walkFrom: USE INDEX (devices_walk_idx));
-- H2 would otherwise read every match through the filter's own index and sort them by id. The primary key
-- holds the same ids, but H2 names its index itself, so no statement can name it.
CREATE INDEX devices_walk_idx ON devices (id);
