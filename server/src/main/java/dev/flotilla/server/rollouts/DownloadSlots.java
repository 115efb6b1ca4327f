package dev.flotilla.server.rollouts;

import org.jdbi.v3.core.Handle;

/**
 * The policy {@code maxConcurrentDownloads}: at most that many of a rollout's devices are handed the release to
 * download at a time. A device occupies a slot from when its assignment is signed until it reports the download
 * done ({@code downloaded}/{@code verified}) or any later or final state, or times out; an admitted device whose
 * assignment is not signed yet (a row of {@code deployment_pending}) waits for a slot, and its timeout starts
 * when it gets one. {@link Assignments#finishPending} signs waiting devices only into free slots, under the
 * evaluation lock ({@link Evaluator#lock}) so that servers signing at once never exceed the limit, and only
 * while the rollout is active; the {@link Evaluator}'s tick hands freed slots on.
 */
final class DownloadSlots {
    /** Rollout states whose devices occupy a slot: handed the assignment, download not done. */
    private static final String OCCUPYING_SQL = "('assigned', 'downloading')";

    private DownloadSlots() {
    }

    /** How many of the rollout's active devices occupy a download slot now. */
    static int occupied(Handle h, String rolloutId) {
        return h.createQuery("SELECT COUNT(*) FROM rollout_devices rd WHERE rd.rollout_id = :r AND rd.state IN "
                        + OCCUPYING_SQL + " AND NOT EXISTS (SELECT 1 FROM deployment_pending p"
                        + " WHERE p.deployment_id = :r AND p.device_id = rd.device_id)"
                        + " AND EXISTS (SELECT 1 FROM devices d WHERE d.id = rd.device_id AND d.status = 'active')")
                .bind("r", rolloutId).mapTo(Integer.class).one();
    }

    /** Whether the rollout limits downloads and has admitted devices waiting for a slot. */
    static boolean waiting(Handle h, RolloutRow r) {
        return r.policies().maxConcurrentDownloads() != null && !r.deployment()
                && h.createQuery("SELECT COUNT(*) FROM deployment_pending WHERE deployment_id = :r")
                .bind("r", r.id()).mapTo(Integer.class).one() > 0;
    }
}
