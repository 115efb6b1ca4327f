-- Flotilla schema v24. Portable SQL for H2 2.x and PostgreSQL.

-- Who fills a dynamic selection's rollout_positions (PositionFill): the rows are written in committed batches
-- outside any request's or evaluation's transaction, and count as complete only once positions_filled is set.
-- positions_filler: the server (an id made at its start) that claimed the fill; positions_fill_at: when it last
-- wrote a batch. A claim is taken by a conditional UPDATE of the two and renewed with every batch; a claim left
-- unrenewed for several minutes (its server died) may be taken by another server, which deletes the partial
-- rows and fills them again.
ALTER TABLE deployments ADD COLUMN positions_filler VARCHAR(64);
ALTER TABLE deployments ADD COLUMN positions_fill_at BIGINT;
