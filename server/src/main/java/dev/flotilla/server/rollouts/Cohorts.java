package dev.flotilla.server.rollouts;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Which devices each stage of a rollout holds, deterministically. A device's position in a rollout is the first
 * 8 bytes of SHA-256(rollout id, 0, device id): the same for the rollout's whole life, on every server, and
 * unrelated between rollouts (a device is not always among the first). Stage k holds the {@code size(k)}
 * devices of the selection with the lowest positions (ties, which practically never happen, by device id).
 *
 * <p>Sizes never shrink from one stage to the next ({@link #sizes}), and all stages rank one ordering, so stage
 * k is inside stage k+1 for any rollout, selection and plan (the nesting property, {@code CohortsTest}). A
 * percent stage is at least one device of a non-empty selection. Pure functions, no I/O.
 */
public final class Cohorts {
    private Cohorts() {
    }

    /** The device's position in the rollout: a non-negative 63-bit number. */
    public static long position(String rolloutId, String deviceId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(rolloutId.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(deviceId.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(sha.digest()).getLong() >>> 1;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The size of each stage for a selection of {@code n} devices: a percent stage is {@code ceil(p * n / 100)}
     * but at least 1 (when n > 0), a count stage {@code min(count, n)}; then each is raised to the previous
     * one's, so that stages nest whatever mix of percents and counts the plan has.
     */
    public static int[] sizes(Plan plan, int n) {
        int[] out = new int[plan.stages().size()];
        int previous = 0;
        for (int k = 0; k < out.length; k++) {
            Plan.Stage s = plan.stage(k);
            long raw = s.percent() != null
                    ? Math.max(n > 0 ? 1 : 0, (long) Math.ceil(s.percent() * n / 100.0 - 1e-9))
                    : Math.min(s.count(), n);
            out[k] = (int) Math.min(n, Math.max(previous, raw));
            previous = out[k];
        }
        return out;
    }

    /** The selection's device ids in rollout order (lowest position first). */
    public static List<String> ranked(String rolloutId, Collection<String> deviceIds) {
        return deviceIds.stream().distinct()
                .map(d -> new Ranked(position(rolloutId, d), d))
                .sorted(Comparator.comparingLong(Ranked::position).thenComparing(Ranked::deviceId))
                .map(Ranked::deviceId).toList();
    }

    /** The devices of stage {@code k} (0-based) of the plan, for the current selection. */
    public static List<String> cohort(String rolloutId, Collection<String> deviceIds, Plan plan, int k) {
        List<String> ranked = ranked(rolloutId, deviceIds);
        return ranked.subList(0, sizes(plan, ranked.size())[k]);
    }

    private record Ranked(long position, String deviceId) {
    }
}
