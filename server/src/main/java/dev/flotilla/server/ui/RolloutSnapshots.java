package dev.flotilla.server.ui;

import dev.flotilla.server.rollouts.Rollout;
import dev.flotilla.server.rollouts.Rollouts;

import java.time.Duration;
import java.util.List;

/**
 * What a rollout's live page shows, shared by everyone watching that rollout ({@link Snapshots}): taken at most
 * once per {@link #FRESH} whatever the number of open pages, and reading only the rollout's own rows (its
 * funnel, gates, failures and samples). The size of its selection, the one count that reads the fleet's devices
 * and manifests, is taken again at most every {@link #SELECTION_EVERY}; in between the stage sizes use the last
 * count. Snapshots not asked for during {@link #KEEP} are dropped.
 */
final class RolloutSnapshots {
    static final Duration FRESH = Duration.ofSeconds(2);
    static final Duration SELECTION_EVERY = Duration.ofSeconds(60);
    static final Duration KEEP = Duration.ofMinutes(5);

    /** A rollout with its device states over time, and when (System.nanoTime) its selection was counted. */
    record Snapshot(Rollout rollout, List<Rollout.Sample> series, long selectionAt) {
    }

    private final Snapshots<String, Snapshot> byId;

    RolloutSnapshots(Rollouts rollouts) {
        byId = new Snapshots<>(KEEP, (id, old) -> {
            long now = System.nanoTime();
            boolean recount = old == null || now - old.selectionAt() > SELECTION_EVERY.toNanos();
            Rollout r = recount ? rollouts.get(id) : rollouts.get(id, old.rollout().selected());
            return new Snapshot(r, rollouts.series(id), recount ? now : old.selectionAt());
        });
    }

    /**
     * The rollout's snapshot, taken again when older than {@code maxAge}.
     *
     * @throws dev.flotilla.server.errors.DomainError.NotFound for an unknown rollout
     */
    Snapshot get(String id, Duration maxAge) {
        return byId.get(id, maxAge);
    }

    /** Forgets the rollout's snapshot (an operator just acted on it); the selection is counted again. */
    void forget(String id) {
        byId.forget(id);
    }
}
